"""Helpers shared by the API tests."""

API = "/api/openreferral/"


def every_page(api, path: str, per_page: int = 7, **query) -> list[dict]:
    """Walk a paged list to its end, returning each page's body."""
    pages, number = [], 1
    while True:
        body = api(path, page=number, per_page=per_page, **query)
        pages.append(body)
        if body["last_page"] or body["empty"]:
            return pages
        number += 1


def contents(pages: list[dict]) -> list[dict]:
    return [item for page in pages for item in page["contents"]]
