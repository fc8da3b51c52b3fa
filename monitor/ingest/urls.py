"""Canonical URLs (pure; no I/O).

``canonical_url(url)``: one spelling per article URL, so the same link reached through
a newsletter, a share button or a feed compares equal. Never raises; idempotent.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

# -- canonical URLs -----------------------------------------------------------------

# Query keys that only say how a reader arrived (campaign, click and share ids). Not
# "ref": some sites put the article id there (?ref=12345), and merging two articles into
# one canonical URL loses the second; a referral ?ref= costs at most a near-duplicate,
# which the text dedupe catches.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "ttclid", "li_fat_id", "igshid", "igsh", "mc_cid", "mc_eid", "ocid", "cmpid",
        "cmp", "ref_src", "ref_url", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok",
        "smid", "smtyp", "xtor", "ito", "at_medium", "at_campaign", "at_custom1",
        "ns_mchannel", "ns_source", "ns_campaign", "ns_linkname", "ns_fee", "spm",
        "oly_enc_id", "oly_anon_id", "vero_id", "wt_mc", "wt.mc_id", "s_cid", "sr_share",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")  # utm_source, Matomo/Piwik, HubSpot ads
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_PERCENT = re.compile(r"%[0-9a-fA-F]{2}")
_SPACE = re.compile(r"\s")
_HOST = re.compile(r"[^\s/?#@:\[\]\\]+")  # a name or IPv4; IDNs stay as written
_IPV6 = re.compile(r"\[[0-9a-f:.]+(%[0-9a-z._~-]+)?\]")


def canonical_url(url: str) -> str:
    """One spelling of an http(s) URL; anything else comes back stripped, never raises.

    Lower-cases scheme and host, drops the default port, the fragment, tracking query
    parameters and an empty query; sorts the remaining parameters by key (stable, so
    repeated keys keep their order); keeps the path's case and the parameters' encoding.
    """
    text = url.strip() if isinstance(url, str) else ""
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. "http://[::1" (unbalanced bracket)
        return text
    scheme = parts.scheme.lower()
    netloc = _netloc(parts.netloc, scheme) if scheme in _DEFAULT_PORTS else None
    if netloc is None:
        return text  # not http(s), or no usable host: garbage in, stripped string out
    path = _encode_spaces(_PERCENT.sub(lambda m: m.group(0).upper(), parts.path)) or "/"
    query = _encode_spaces(_query(parts.query))
    canonical = urlunsplit((scheme, netloc, path, query, ""))
    # Safety net: idempotence rests on the result parsing back to itself.
    return canonical if _stable(canonical) else text


def _netloc(netloc: str, scheme: str) -> str | None:
    """``userinfo@host:port`` with the host lower-cased and a default port dropped;
    None when the host or port is not plausible."""
    userinfo, at, hostport = netloc.rpartition("@")
    host, colon, port = hostport, "", ""
    if not hostport.endswith("]") and ":" in hostport:  # "[::1]" has colons but no port
        host, colon, port = hostport.rpartition(":")
    host = host.lower()
    host = host.rstrip(".") or host  # "Example.COM." is example.com
    if not (_HOST.fullmatch(host) or _IPV6.fullmatch(host)):
        return None
    if port and not (port.isascii() and port.isdigit()):
        return None
    if port == _DEFAULT_PORTS[scheme] or not port:
        colon, port = "", ""
    return f"{userinfo}{at}{host}{colon}{port}"


def _query(query: str) -> str:
    pairs = [pair for pair in query.split("&") if pair.strip() and not _is_tracking(pair)]
    pairs.sort(key=lambda pair: pair.partition("=")[0])
    return "&".join(pairs)


def _encode_spaces(text: str) -> str:
    # A literal space is not valid in a URL; encoded, it survives strip() and re-parsing.
    return _SPACE.sub(lambda m: quote(m.group(0), safe=""), text)


def _is_tracking(pair: str) -> bool:
    # "??utm_source=x": the second "?" belongs to the first key; it is still tracking
    key = unquote(pair.partition("=")[0]).strip().lstrip("?").lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _stable(canonical: str) -> bool:
    try:
        parts = urlsplit(canonical)
    except ValueError:
        return False
    return urlunsplit(parts) == canonical and not parts.fragment
