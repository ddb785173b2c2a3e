"""Page models and site settings of the public site, one module each, exported for Django."""

from .pages.guide import GuidePage
from .pages.help_online import HelpGettingOnlinePage
from .pages.home import HomePage
from .pages.practices import PracticeIndexPage
from .pages.services import ServiceIndexPage
from .site_settings import SiteSettings

__all__ = [
    "GuidePage",
    "HelpGettingOnlinePage",
    "HomePage",
    "PracticeIndexPage",
    "ServiceIndexPage",
    "SiteSettings",
]
