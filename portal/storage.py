from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files that tolerate wagtail-nhsuk-frontend's CSS.

    wagtail-nhsuk-frontend 2.1 ships minified CSS whose sourceMappingURL names a .map
    file it does not ship, so the stock storage stops collectstatic with MissingFileError.
    We leave source-map comments alone instead.
    """

    patterns = tuple(
        (glob, tuple(rule for rule in rules
                     if "sourceMappingURL" not in (rule[0] if isinstance(rule, tuple) else rule)))
        for glob, rules in CompressedManifestStaticFilesStorage.patterns
    )
