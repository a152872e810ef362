"""The deployment under test, as the runner reaches it: clients per node and credentials, the content this run
pushed, and what it has seen arrive where.

The runner acts like any user. At the cloud it uses the credentials of the endpoints file (admin user, else a token,
else none); at a connected registry it uses only the client tokens (and, for the acceptance checks, the sync tokens)
the file lists. Everything it creates carries the run id, so two runs against the same deployment never read each
other's content, and with `cleanup` (the default) it deletes at the cloud what it pushed there.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import os
import time
from typing import Callable

import pytest
import requests

from conformance_content import Image, make_image
from conformance_endpoints import ClientToken, ConnectedRegistry, Credentials, Endpoints
from conformance_http import Client, ConformanceFailure, describe, expect_status, wait_until


ADD_ADMIN = 'add "admin": {"username": ..., "password": ...} to its "cloud" object'


def new_run_id() -> str:
    """Lowercase letters and digits: usable in repository names, tags and connected-registry names."""
    return f"{int(time.time()) % 1000000:06d}{os.urandom(3).hex()}"


@dataclasses.dataclass
class Arrival:
    ok: bool
    message: str


class Deployment:
    def __init__(self, endpoints: Endpoints, run_id: str):
        self.endpoints = endpoints
        self.run_id = run_id
        self.timeouts = endpoints.timeouts
        self._clients: dict[tuple, Client] = {}
        self._seeded: dict[str, Image] | None = None
        self._seed_error: str | None = None
        self._arrivals: dict[str, Arrival] = {}
        self.pushed_at_cloud: list[tuple[str, str]] = []  # (repository, digest) in push order, for cleanup
        self.cleanups: list[Callable[[], None]] = []      # management changes to undo, in any case

    # --- clients ---------------------------------------------------------------------------------------------------

    def client(self, node: str, url: str, credentials: Credentials | None, auth: str = "auto") -> Client:
        key = (node, url, credentials, auth)
        if key not in self._clients:
            self._clients[key] = Client(node, url, credentials, self.timeouts, self.endpoints.tls_verify, auth)
        return self._clients[key]

    def cloud(self, auth: str = "auto") -> Client:
        return self.client("cloud", self.endpoints.cloud.url, self.endpoints.cloud.credentials, auth)

    def cloud_as(self, credentials: Credentials | None, auth: str = "basic") -> Client:
        return self.client("cloud", self.endpoints.cloud.url, credentials, auth)

    def at(self, cr: ConnectedRegistry, credentials: Credentials | None, auth: str = "basic") -> Client:
        return self.client(cr.name, cr.url, credentials, auth)

    def node_url(self, node: str) -> str:
        return self.endpoints.cloud.url if node == "cloud" else self.endpoints.cr(node).url

    def require_cloud_credentials(self) -> Credentials:
        credentials = self.endpoints.cloud.credentials
        if credentials is None:
            pytest.skip("the endpoints file gives no credentials for the cloud, so this check cannot push or sign in "
                        f"there: {ADD_ADMIN} (or \"token\": {{\"name\": ..., \"password\": ...}}, a token that may "
                        "read, write and delete there)")
        return credentials

    def require_admin(self, unchecked: str) -> Credentials:
        """The admin user's credentials; without them the check is skipped saying what stays `unchecked` and what to
        add to the endpoints file."""
        if self.endpoints.cloud.admin is None:
            pytest.skip(f"the endpoints file gives no admin user for the cloud, so {unchecked}: {ADD_ADMIN}")
        return self.endpoints.cloud.admin

    def require_management_changes(self) -> Credentials:
        admin = self.require_admin("the management API is not checked")
        if not self.endpoints.management_changes:
            pytest.skip("managementChanges is false in the endpoints file, so no temporary tokens, scope maps or "
                        "connected registries are created to check this: set it to true (the default) to run it")
        return admin

    # --- repositories ------------------------------------------------------------------------------------------------

    def scratch(self, purpose: str) -> str:
        """A repository of the cloud only this run and this purpose use."""
        return f"{self.endpoints.cloud.scratch_repository}/{self.run_id}-{purpose}"

    def test_repository(self, cr: ConnectedRegistry) -> str:
        repository = self.endpoints.test_repository(cr, self.run_id)
        if repository is None:
            pytest.skip(f"{cr.name}: none of its repositories {list(cr.repositories)} is synced by all its ancestors, "
                        "so nothing pushed at the cloud can reach it (SPEC 2.5)")
        return repository

    def reader(self, cr: ConnectedRegistry, repository: str) -> ClientToken:
        for token in cr.client_tokens:
            if token.can_read(repository):
                return token
        pytest.skip(f"{cr.name}: no client token in the endpoints file may read {repository} (content/read)")

    def writer(self, cr: ConnectedRegistry, repository: str) -> ClientToken:
        for token in cr.client_tokens:
            if token.can_write(repository):
                return token
        pytest.skip(f"{cr.name}: no client token in the endpoints file may push to {repository} "
                    "(content/read + content/write)")

    # --- content -----------------------------------------------------------------------------------------------------

    def push_at_cloud(self, repository: str, image: Image, reference: str) -> requests.Response:
        self.require_cloud_credentials()
        answer = self.cloud().push_image(repository, image, reference)
        expect_status(answer, 201, f"cloud: push of manifest {repository}:{reference}")
        self.pushed_at_cloud.append((repository, image.digest))
        return answer

    def seeded(self) -> dict[str, Image]:
        """One image per repository some connected registry should receive, pushed once at the cloud as
        `<repo>:cf-<run>`. A refusal fails every check that needs it, with the cloud's answer."""
        if self._seed_error is not None:
            raise ConformanceFailure(self._seed_error)
        if self._seeded is None:
            images = {}
            try:
                for cr in self.endpoints.connected_registries:
                    repository = self.endpoints.test_repository(cr, self.run_id)
                    if repository is not None and repository not in images:
                        image = make_image(f"seed {repository} {self.run_id}")
                        self.push_at_cloud(repository, image, self.seed_tag)
                        images[repository] = image
            except ConformanceFailure as e:
                self._seed_error = f"pushing the seed images at the cloud failed: {e.summary}"
                raise ConformanceFailure(self._seed_error, e.details) from None
            self._seeded = images
        return self._seeded

    @property
    def seed_tag(self) -> str:
        return f"cf-{self.run_id}"

    def arrival(self, cr: ConnectedRegistry) -> Arrival:
        """Waits (once per run and registry) for the seed image of `cr`'s test repository to be served there, through
        a client token that may read it, with identical bytes."""
        if cr.name not in self._arrivals:
            repository = self.test_repository(cr)
            token = self.reader(cr, repository)
            image = self.seeded()[repository]
            client = self.at(cr, token.credentials, auth="auto")

            def observe():
                answer = client.manifest(repository, self.seed_tag)
                return answer.status_code == 200 and answer.content == image.manifest, answer

            try:
                wait_until(observe, self.timeouts.propagation, self.timeouts.poll,
                           f"{cr.name}: {repository}:{self.seed_tag} pushed at the cloud, read with {token.name}")
                self._arrivals[cr.name] = Arrival(True, "")
            except ConformanceFailure as e:
                self._arrivals[cr.name] = Arrival(False, f"{e.summary} ({e.details})")
        return self._arrivals[cr.name]

    def require_arrival(self, cr: ConnectedRegistry) -> Image:
        """For checks that need the seed image at `cr`: skipped (with the reason) when it never arrived, since the
        propagation check of SPEC 5.1 already reports that failure."""
        arrived = self.arrival(cr)
        if not arrived.ok:
            pytest.skip(f"the seed image never reached {cr.name}, so this check cannot run: {arrived.message}")
        return self.seeded()[self.test_repository(cr)]

    # --- start of the run --------------------------------------------------------------------------------------------

    def preflight(self) -> str | None:
        """Why nothing can be checked, or None: every node of the file must answer (any HTTP answer to `GET /v2/`
        without credentials: one verdict naming each that does not, rather than each check that needs one failing
        on its own); the cloud must accept the file's credentials (which every check at the cloud and every seed push
        uses; hammering it with wrong ones would also trip the failed-login limit of SPEC 4.5 for the rest of the
        run), or answer without any when the file gives none; and every connected registry must accept each client
        token the file lists for it (a wrong password once made every check that reads there fail, and the limit of
        SPEC 4.5 then fail that clause too)."""
        silent, asked = self._not_answering()
        if silent:
            return (f"{len(silent)} of the {asked} addresses in the endpoints file "
                    f"{'does' if len(silent) == 1 else 'do'} not answer: {'; '.join(silent)}; start them, or correct "
                    "their url in the endpoints file")
        try:
            answer = self.cloud().get("/v2/")
        except ConformanceFailure as e:
            return e.summary
        credentials = self.endpoints.cloud.credentials
        if credentials is not None and answer.status_code in (401, 403, 429):
            which = "cloud.admin" if self.endpoints.cloud.admin else "cloud.token"
            return (f"the cloud refuses the endpoints file's {which} ({credentials.username}): {describe(answer)}; "
                    "fix the credentials in the file")
        if credentials is None and answer.status_code == 401:
            # Every check at the cloud would fail with 401 and be reported as the deployment's fault.
            return (f"the cloud requires credentials ({describe(answer)} without any): give cloud.admin or "
                    "cloud.token in the endpoints file")
        for cr in self.endpoints.connected_registries:
            for token in cr.client_tokens:
                problem = self._client_token_refused(cr, token)
                if problem is not None:
                    return problem
        return None

    def _not_answering(self) -> tuple[list[str], int]:
        """`<node> at <url> did not answer GET /v2/: <why>` for each address of the file without an HTTP answer, in
        the file's order, and how many were asked. They are asked at once: many unreachable nodes cost one
        timeouts.request."""
        nodes = [("cloud", self.endpoints.cloud.url)]
        if self.endpoints.cloud.data_endpoint:
            nodes.append(("cloud data endpoint", self.endpoints.cloud.data_endpoint))
        nodes += [(cr.name, cr.url) for cr in self.endpoints.connected_registries]
        clients = [self.client(node, url, None, "none") for node, url in nodes]

        def ask(client: Client) -> str | None:
            try:
                client.raw("GET", "/v2/")
                return None
            except ConformanceFailure as e:
                return e.summary

        with concurrent.futures.ThreadPoolExecutor(max_workers=min(16, len(clients))) as pool:
            return [silent for silent in pool.map(ask, clients) if silent is not None], len(clients)

    def _client_token_refused(self, cr: ConnectedRegistry, token: ClientToken) -> str | None:
        """Why `token` cannot be used at `cr`, or None once `cr` accepts it (`GET /v2/`, SPEC 3.6: any valid
        credentials). A token just created may still be on its way down, so a refusal is asked again within
        timeouts.propagation, at 1, 2, 4, 8... s: each refusal is a failed login there, and a wrong password polled
        every `poll` would trip the failed-login limit (SPEC 4.5) and fail checks that have nothing to do with it."""
        client = self.at(cr, token.credentials, auth="auto")
        deadline = time.monotonic() + self.timeouts.propagation
        pause = 1.0
        while True:
            try:
                answer = client.get("/v2/")
            except ConformanceFailure as e:
                return f"{cr.name} does not answer: {e.summary}"
            if answer.status_code == 200:
                return None
            if answer.status_code != 401 or time.monotonic() + pause > deadline:
                waited = f" for {self.timeouts.propagation:g} s (timeouts.propagation)" if answer.status_code == 401 \
                    else ""
                return (f"{cr.name} refuses the endpoints file's client token {token.name}{waited}: "
                        f"{describe(answer)}; fix its password in the file, or list it in the registry's client tokens")
            time.sleep(pause)
            pause *= 2

    # --- end of the run ----------------------------------------------------------------------------------------------

    def close(self) -> list[str]:
        """Undoes management changes still in place and, with `cleanup`, deletes at the cloud every manifest this run
        pushed there (referrers before their subjects). Returns what could not be undone, for the terminal summary."""
        problems = []
        for undo in reversed(self.cleanups):
            try:
                undo()
            except Exception as e:  # noqa: BLE001 - keep undoing the rest whatever one undo raised
                problems.append(f"undo failed: {e}")
        if self.endpoints.cleanup and self.pushed_at_cloud:
            cloud = self.cloud()
            for repository, digest in reversed(self.pushed_at_cloud):
                try:
                    answer = cloud.delete_manifest(repository, digest)
                except ConformanceFailure as e:
                    problems.append(e.summary)
                    continue
                if answer.status_code not in (202, 404):
                    problems.append(f"a delete of what this run pushed was refused: {describe(answer)}")
                    break  # a registry that refuses one delete refuses them all: say it once
        return problems
