"""Who sees which lead: leads.selectors.leads_visible_to, role by role."""

import pytest

from leads.selectors import leads_visible_to
from tests.factories import LeadFactory, TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def leads(sdr, other_sdr, ae):
    return {
        "sam": LeadFactory(owner=sdr),
        "wendy": LeadFactory(owner=other_sdr),
        "alex": LeadFactory(owner=ae),
        "nobody": LeadFactory(owner=None),
    }


def visible(user) -> set[int]:
    return set(leads_visible_to(viewer=user).values_list("pk", flat=True))


@pytest.mark.parametrize("role_user", ["marketer", "director", "admin_user", "integration"])
def test_read_all_roles_see_every_lead(request, leads, role_user):
    assert visible(request.getfixturevalue(role_user)) == {lead.pk for lead in leads.values()}


def test_an_sdr_sees_only_their_own_leads(sdr, leads):
    assert visible(sdr) == {leads["sam"].pk}


def test_an_ae_sees_only_their_own_leads(ae, leads):
    assert visible(ae) == {leads["alex"].pk}


def test_a_sales_manager_sees_their_teams_leads_once_each(sales_manager, sdr, leads):
    # sam is in the manager's team twice over (two teams), still one row per lead
    second = TeamFactory(name="SDR East 2", kind="sdr", manager=sales_manager)
    second.members.add(sdr)

    rows = list(leads_visible_to(viewer=sales_manager).values_list("pk", flat=True))

    assert rows == [leads["sam"].pk]


def test_a_user_without_a_role_sees_nothing(outsider, leads):
    assert visible(outsider) == set()
