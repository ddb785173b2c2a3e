"""Where each kind of page may live: editors cannot build a tree the public URLs don't expect."""

from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from portal.models import (
    GuidePage,
    HelpGettingOnlinePage,
    HomePage,
    PracticeIndexPage,
    ServiceIndexPage,
)
from services_catalogue.models import DigitalService


class PageTreeRulesTests(WagtailPageTestCase):
    def test_home_page_sits_at_the_root(self):
        self.assertAllowedParentPageTypes(HomePage, {Page})

    def test_home_page_holds_the_index_pages_and_guides(self):
        self.assertAllowedSubpageTypes(
            HomePage, {ServiceIndexPage, PracticeIndexPage, HelpGettingOnlinePage, GuidePage}
        )

    def test_digital_services_live_only_under_the_services_index(self):
        self.assertAllowedParentPageTypes(DigitalService, {ServiceIndexPage})
        self.assertAllowedSubpageTypes(ServiceIndexPage, {DigitalService})

    def test_digital_services_have_no_children(self):
        self.assertAllowedSubpageTypes(DigitalService, set())

    def test_practice_and_help_pages_have_no_children(self):
        self.assertAllowedSubpageTypes(PracticeIndexPage, set())
        self.assertAllowedSubpageTypes(HelpGettingOnlinePage, set())

    def test_guides_can_nest(self):
        self.assertCanCreateAt(GuidePage, GuidePage)
        self.assertCanNotCreateAt(ServiceIndexPage, GuidePage)
