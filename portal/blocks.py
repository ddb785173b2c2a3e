"""The StreamField blocks editors compose pages from: the NHS.UK design system's own."""

from wagtail import blocks
from wagtailnhsukfrontend.blocks import (
    ActionLinkBlock,
    CareCardBlock,
    DetailsBlock,
    DoBlock,
    DontBlock,
    ExpanderBlock,
    InsetTextBlock,
    SummaryListBlock,
    WarningCalloutBlock,
)

RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"]


class NHSBodyBlock(blocks.StreamBlock):
    text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES)
    action_link = ActionLinkBlock()
    inset_text = InsetTextBlock()
    warning_callout = WarningCalloutBlock()
    care_card = CareCardBlock()
    details = DetailsBlock()
    expander = ExpanderBlock()
    do_list = DoBlock()
    dont_list = DontBlock()
    summary_list = SummaryListBlock()

    class Meta:
        required = False
