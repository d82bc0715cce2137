"""The demo prints one login a role; each password passes Django's password validators."""

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.password_validation import get_password_validators, validate_password

from despatch.services.demo_floor import ROLE_USERS, bin_of

VALIDATORS = get_password_validators(
    [
        {"NAME": f"django.contrib.auth.password_validation.{name}"}
        for name in (
            "UserAttributeSimilarityValidator",
            "MinimumLengthValidator",
            "CommonPasswordValidator",
            "NumericPasswordValidator",
        )
    ]
)
ROLES = {"ops_manager", "order_ops", "finance", "picker", "packer", "shipping", "support"}


@pytest.mark.parametrize(("username", "password"), ROLE_USERS)
def test_each_demo_password_passes_the_validators(username, password):
    validate_password(password, User(username=username), password_validators=VALIDATORS)


def test_there_is_a_demo_user_for_every_role():
    assert {role for role, _ in ROLE_USERS} == ROLES | {"integrator"}
    assert len({password for _, password in ROLE_USERS}) == len(ROLE_USERS)


def test_bins_fill_an_aisle_side_by_side():
    assert [bin_of(n) for n in (0, 19, 20, 39, 40)] == [
        "A01-B01-L",
        "A01-B20-L",
        "A01-B01-R",
        "A01-B20-R",
        "A02-B01-L",
    ]
