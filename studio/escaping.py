"""Text that came from outside (file names, stored error messages, exceptions) shown as typed, never as markdown."""

import re

# What starts markdown in Streamlit: links and images ([, ], !), HTML and autolinks (<, >), emphasis (*, _, ~),
# code (`), tables (|), headings (#), LaTeX ($) and directives like :red[…] (the brackets). Bare web addresses
# become links too, so "://" and "www." are broken up by escapes that render as nothing.
MARKDOWN_CHARACTERS = re.compile(r"([\\`*_{}\[\]<>#|~$!])")
BARE_LINK = re.compile(r"(:)(//)|(www)(\.)", re.IGNORECASE)


def plain(text):
    """`text` with every markdown character escaped, so a name like [x](javascript:…) shows as typed."""
    escaped = MARKDOWN_CHARACTERS.sub(r"\\\1", str(text))
    return BARE_LINK.sub(lambda match: "\\".join(part for part in match.groups() if part), escaped)
