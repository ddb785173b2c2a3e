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
