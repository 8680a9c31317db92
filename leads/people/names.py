"""How a person's name is shown.

Django's ``get_full_name()`` is "first last", which is wrong for Chinese
names: 林晓梅 is family name 林 then given name 晓梅, written without a space.
"""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def person_name(user) -> str:
    """The user's display name: CJK names family-first without a space, else "first last"."""
    if user is None:
        return ""
    first = (user.first_name or "").strip()
    last = (user.last_name or "").strip()
    if not first and not last:
        return user.get_username()
    if _CJK.search(first + last):
        return f"{last}{first}"
    return f"{first} {last}".strip()
