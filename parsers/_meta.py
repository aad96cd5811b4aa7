"""What the Meta export parsers (JSON and HTML) share: which platform a file is from.

Facebook, Messenger and Instagram "Download your information" files have the same
shape, so the platform is decided from markers in the content, never from the
file name alone (the path only breaks a tie, and says so):

* media and attachment paths: ``your_instagram_activity/…`` is Instagram;
  ``your_facebook_activity/…`` and ``your_activity_across_facebook/…`` are Facebook
  (exports since 2022 root every path there; older ones used ``messages/inbox/…``
  for both, which decides nothing);
* shared links: ``instagram.com`` is Instagram; ``facebook.com``, ``fb.me``,
  ``messenger.com`` are Facebook;
* keys only one platform writes: ``original_content_owner`` on an Instagram share
  (the handle of the shared post's owner); ``joinable_mode`` on a Messenger thread
  (group invite links);
* the structure of non-message files: ``comments_v2``/``profile_v2`` are Facebook,
  ``string_map_data``/``profile_user``/``media_list_data`` are Instagram.

The ingest option ``platform=facebook|instagram`` (``ParseContext.options``) overrides all of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

from atlas.wording import quoted

IG_PREFIXES: Final = ("your_instagram_activity/",)
FB_PREFIXES: Final = ("your_facebook_activity/", "your_activity_across_facebook/")
_IG_HOST = re.compile(r"^https?://(?:[\w-]+\.)*(?:instagram\.com|instagr\.am)(?:/|$)", re.IGNORECASE)
_FB_HOST = re.compile(r"^https?://(?:[\w-]+\.)*(?:facebook\.com|fb\.me|fb\.com|messenger\.com)(?:/|$)", re.IGNORECASE)
IG_KEYS: Final = frozenset({"original_content_owner", "string_map_data", "profile_user", "media_list_data"})
FB_KEYS: Final = frozenset({"joinable_mode", "comments_v2", "profile_v2"})


def decide_platform(
    *,
    uris: Iterable[str],
    links: Iterable[str],
    keys: Iterable[str],
    path: Path,
    options: Mapping[str, str],
    default: str = "facebook",
    default_why: str = "no platform marker in the content or the path",
) -> tuple[str, str]:
    """``(channel, how it was decided)`` for a Meta export file."""
    forced = options.get("platform", "").strip().lower()
    if forced in ("facebook", "instagram"):
        return forced, f"platform {forced} as instructed (ingest option platform={forced})"
    ig: list[str] = []
    fb: list[str] = []
    uris = [u for u in uris if u]
    if any(u.startswith(IG_PREFIXES) for u in uris):
        ig.append("media paths under your_instagram_activity/")
    if any(u.startswith(FB_PREFIXES) for u in uris):
        fb.append("media paths under your_facebook_activity/")
    links = [x for x in links if x]
    if any(_IG_HOST.match(x) for x in links):
        ig.append("links to instagram.com")
    if any(_FB_HOST.match(x) for x in links):
        fb.append("links to facebook.com")
    keyset = set(keys)
    ig += [f"the key {quoted(k)}" for k in sorted(keyset & IG_KEYS)]
    fb += [f"the key {quoted(k)}" for k in sorted(keyset & FB_KEYS)]
    if ig and not fb:
        return "instagram", "Instagram, from the content: " + ", ".join(ig)
    if fb and not ig:
        return "facebook", "Facebook, from the content: " + ", ".join(fb)
    if ig and fb:
        # Both kinds of marker: a shared link to the other platform is common, a media
        # path root is not, so the path root wins; otherwise the count decides.
        ig_root = any(u.startswith(IG_PREFIXES) for u in uris)
        fb_root = any(u.startswith(FB_PREFIXES) for u in uris)
        if ig_root != fb_root:
            channel = "instagram" if ig_root else "facebook"
        else:
            channel = "instagram" if len(ig) > len(fb) else "facebook"
        return channel, f"{channel}, from mixed content markers (Instagram: {', '.join(ig)}; Facebook: {', '.join(fb)})"
    parts = [p.lower() for p in path.parts]
    if any("instagram" in p for p in parts):
        return "instagram", "Instagram, from the file's path (no platform marker in the content)"
    if any("facebook" in p or "messenger" in p for p in parts):
        return "facebook", "Facebook, from the file's path (no platform marker in the content)"
    return default, f"{default}: {default_why}; set the ingest option platform=instagram if that is wrong"
