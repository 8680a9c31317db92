"""factory_boy factories for the leads app."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from leads.models import Account, Activity, Lead
from leads.people.models import Team


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("pw-for-tests-1")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*[Group.objects.get_or_create(name=name)[0] for name in extracted])


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    kind = Team.Kind.SDR


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Faker("company")
    name_normalised = factory.LazyAttribute(lambda a: a.name.lower())
    domain = factory.Sequence(lambda n: f"company{n}.example")


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"lead{n}@company{n}.example")
    email_normalised = factory.LazyAttribute(lambda lead: lead.email.lower())
    source_channel = "website"
    source_system = "test"
    received_at = factory.LazyFunction(timezone.now)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    lead = factory.SubFactory(LeadFactory)
    type = "web_visit"
    occurred_at = factory.LazyFunction(timezone.now)
    source = "test"


def with_history(lead, *, at=None, sal_at=None):
    """Give a lead the events a real one in its stage would have (it became an MQL and
    was assigned to its owner or team at ``at``, default ``assigned_at``; an SAL was
    accepted by its owner at ``sal_at``), through the writers' seam
    (``leads.hooks.on_events_written``), so the SLA computes its clocks the real way."""
    from leads import hooks
    from leads.models import LeadEvent

    at = at or lead.assigned_at or lead.mql_at or timezone.now()
    LeadEvent.objects.create(
        lead=lead,
        kind="stage_change",
        from_stage="inquiry",
        to_stage="mql",
        actor_system="scoring",
        at=at,
    )
    LeadEvent.objects.create(
        lead=lead,
        kind="assignment",
        actor_system="routing",
        reason="rule",
        at=at,
        data={"to_user": lead.owner_id, "to_team": lead.team_id},
    )
    if lead.stage != "mql":
        LeadEvent.objects.create(
            lead=lead,
            kind="stage_change",
            from_stage="mql",
            to_stage="sal",
            actor_user_id=lead.owner_id,
            actor_system="" if lead.owner_id else "test",
            at=sal_at or at,
        )
    hooks.on_events_written(lead.pk)
    return lead


def publish_terms(by, **period):
    """Publish a new SLA terms version: a copy of the one in force with these ``period``
    definitions (``min_attempts=3``…), made and published by ``by`` (an admin or
    director) through the real services."""
    import copy

    from sla.policies import services

    definition = copy.deepcopy(services.published_terms().definition)
    definition["period"] = {**(definition.get("period") or {}), **period}
    draft = services.create_draft(by, definition=definition, name="Test terms")
    return services.publish(draft, by=by)
