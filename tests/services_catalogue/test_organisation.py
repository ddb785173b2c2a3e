import pytest
from django.core.exceptions import ValidationError

from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", ["A8", "a84009", "A84 009", "A84009<script>", "ABCDEFGHIJK"])
def test_malformed_ods_codes_are_refused_with_a_clear_message(code):
    organisation = OrganisationFactory.build(ods_code=code)
    organisation.ods_code = code
    with pytest.raises(ValidationError) as error:
        organisation.full_clean(exclude=["parent"])
    assert "ODS code" in str(error.value)


def test_lower_case_ods_codes_are_normalised_on_clean():
    organisation = OrganisationFactory.build(ods_code=" a84999 ")
    organisation.clean()
    assert organisation.ods_code == "A84999"


@pytest.mark.parametrize("number, digits", [
    ("01665 510888", "01665510888"),
    ("0191 498 0123", "01914980123"),
    ("(01670) 511-393", "01670511393"),
    ("+44 1670 511393", "01670511393"),
    ("+44 (0)1670 511393", "01670511393"),
    ("016977 12345", "01697712345"),
])
def test_uk_phone_numbers_are_accepted_as_people_write_them(number, digits):
    from services_catalogue.models.organisation import phone_digits

    organisation = OrganisationFactory.build(phone=number)
    organisation.full_clean(exclude=["parent"])
    assert phone_digits(organisation.phone) == digits


@pytest.mark.parametrize("number", [
    "12345", "01665 5108", "01665 5108888 1", "+1 202 555 0100", "call 01665 510888",
    "01665 510888<script>", "1665510888", "+44",
])
def test_a_phone_number_that_would_not_dial_is_refused_with_an_example(number):
    organisation = OrganisationFactory.build(phone=number)
    with pytest.raises(ValidationError) as error:
        organisation.full_clean(exclude=["parent"])
    assert "01670 511393" in str(error.value.message_dict["phone"])


def test_the_phone_link_dials_in_international_form_and_spacing_is_tidied():
    organisation = OrganisationFactory.build(phone="  01665   510888 ")
    organisation.clean()
    assert organisation.phone == "01665 510888"
    assert organisation.phone_href == "tel:+441665510888"
    assert OrganisationFactory.build(phone="").phone_href == ""
