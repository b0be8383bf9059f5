"""Who can reach this studio (loopback, a network interface, a public share link) and how to say so."""

from __future__ import annotations

from dataclasses import dataclass

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# The largest upload (per request; studio.http_guard refuses bigger ones, and viewers' uploads, before Gradio
# stores anything); documents have their own, smaller limit (20 MB); skill archives (.zip of a skill vector)
# can be hundreds of MB.
MAX_UPLOAD_MB = 1000.0
ROLE_WORDS = {
    "editor": "editor (may upload, adapt, run jobs and delete)",
    "viewer": "viewer (chat, A/B chat, votes and results; no uploads, jobs or deletions)",
}


@dataclass
class StudioAccess:
    """Set by the launcher: where the studio listens, the login user (if any) and the share link (if any)."""

    host: str = "127.0.0.1"
    port: int = 7860
    auth_user: str | None = None
    share_url: str | None = None

    def describe(self, user: str | None = None, role: str | None = None) -> str:
        """Who can reach the studio; with ``user``, who is logged in on this page and what their role allows."""
        if user:
            login = f"logged in as **{user}**, {ROLE_WORDS.get(role or '', role or 'editor')}"
        else:
            login = "login required" if self.auth_user else "no login required"
        if self.share_url:
            return (
                f"**Shared publicly:** [{self.share_url}]({self.share_url}) (anyone with the link can open it); "
                f"{login}. Stop the studio to close the link."
            )
        if self.host in LOOPBACK:
            return f"Only reachable from this machine (http://{self.host}:{self.port}); {login}."
        where = "any address of this machine" if self.host in ("0.0.0.0", "::") else f"http://{self.host}"
        return f"Reachable from the network at {where}, port {self.port}; {login}. No public link."


def describe(access: StudioAccess | None, user: str | None = None, role: str | None = None) -> str:
    return access.describe(user, role) if access else "Running inside another program: access is decided by it."
