"""The doctor's vetted knowledge folder: read with line numbers, checked, written line by line.

`loading` (`Knowledge`, `load_knowledge`) over `files` (listing, fingerprint, one file read and
validated) and `yamlfile` (YAML that remembers lines), validated by `schema`; `checks` is
`kb check`; `writing` adds lines only (alternates, drafts, publishing); `change` checks a change
in a copy before it is written; `publish` is `kb publish`; `importing` is `kb import`.
"""

__all__ = [
    "change",
    "checks",
    "files",
    "importing",
    "loading",
    "publish",
    "schema",
    "writing",
    "yamlfile",
]
