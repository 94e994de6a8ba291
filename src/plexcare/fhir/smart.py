"""SMART App Launch (v2), plexcare as the app: an EHR opens `/smart/launch?iss=…&launch=…`, we
read the EHR's `.well-known/smart-configuration`, send the clinician to its authorization
server (with `state` and a PKCE challenge), take the code back at `/smart/callback`, exchange
it for an access token that names the patient in context, read that patient's record from the
EHR, and turn it into a case draft the case form opens.

The talking to the EHR goes through `EhrConnection`, so the tests put a simulated EHR behind
it; the default one uses the standard library's HTTP client. Access tokens and codes are
neither stored nor logged; only the PKCE verifier is kept, until the return.
"""

from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from plexcare.errors import InvalidInput, ServiceError

SCOPES = (
    "launch openid fhirUser patient/Patient.read patient/Condition.read patient/Observation.read"
)
STANDALONE_SCOPES = SCOPES.replace("launch ", "launch/patient ")
TIMEOUT_SECONDS = 10


class EhrUnreachable(ServiceError):
    """The EHR's servers did not answer as SMART says they should."""

    status = 502
    title = "Bad gateway"


class EhrConnection(Protocol):
    def get_json(self, url: str, *, bearer: str | None = None) -> dict[str, Any]: ...

    def post_form(self, url: str, form: Mapping[str, str]) -> dict[str, Any]: ...


class StandardConnection:
    """HTTP to the EHR with the standard library (no extra dependency), JSON both ways."""

    def _open(self, request: urllib.request.Request) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:
                body = json.loads(answer.read(4 * 1024 * 1024))
        except (urllib.error.URLError, TimeoutError, ValueError) as error:
            raise EhrUnreachable(
                f"the EHR did not answer properly: {type(error).__name__}"
            ) from error
        if not isinstance(body, dict):
            raise EhrUnreachable("the EHR's answer is not a JSON object")
        return body

    def get_json(self, url: str, *, bearer: str | None = None) -> dict[str, Any]:
        headers = {"Accept": "application/fhir+json, application/json"}
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        return self._open(urllib.request.Request(url, headers=headers))

    def post_form(self, url: str, form: Mapping[str, str]) -> dict[str, Any]:
        data = urllib.parse.urlencode(form).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        return self._open(urllib.request.Request(url, data=data, headers=headers, method="POST"))


@dataclass(frozen=True)
class SmartConfiguration:
    authorization_endpoint: str
    token_endpoint: str


def trusted_issuer(iss: str, allowed: tuple[str, ...]) -> str:
    """The `iss` without a trailing slash, if it is one of the clinic's EHRs."""
    issuer = iss.rstrip("/")
    if issuer not in {entry.rstrip("/") for entry in allowed}:
        raise InvalidInput("this EHR is not one the clinic has connected", field="iss")
    return issuer


def configuration(connection: EhrConnection, issuer: str) -> SmartConfiguration:
    found = connection.get_json(f"{issuer}/.well-known/smart-configuration")
    authorize, token = found.get("authorization_endpoint"), found.get("token_endpoint")
    if not isinstance(authorize, str) or not isinstance(token, str):
        raise EhrUnreachable("the EHR's smart-configuration lacks its endpoints")
    return SmartConfiguration(authorize, token)


def code_challenge(verifier: str) -> str:
    """PKCE S256: the hash of the verifier we keep, sent ahead."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(
    *,
    config: SmartConfiguration,
    client_id: str,
    redirect_uri: str,
    issuer: str,
    state: str,
    verifier: str,
    launch: str | None,
) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": SCOPES if launch else STANDALONE_SCOPES,
        "state": state,
        "aud": issuer,
        "code_challenge": code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    if launch:
        query["launch"] = launch
    separator = "&" if "?" in config.authorization_endpoint else "?"
    return f"{config.authorization_endpoint}{separator}{urllib.parse.urlencode(query)}"


@dataclass(frozen=True)
class PatientRecord:
    """What the EHR gave: the patient's id and the prefetch-shaped record of them."""

    patient_id: str
    prefetch: dict[str, Any]


def read_patient_record(
    connection: EhrConnection,
    *,
    issuer: str,
    token_endpoint: str,
    code: str,
    verifier: str,
    client_id: str,
    redirect_uri: str,
) -> PatientRecord:
    """Exchange the code, then read the patient in context, their conditions and observations."""
    token = connection.post_form(
        token_endpoint,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "code_verifier": verifier,
        },
    )
    access, patient = token.get("access_token"), token.get("patient")
    if not isinstance(access, str) or not isinstance(patient, str) or not patient:
        raise EhrUnreachable("the EHR's token answer names no patient in context")
    quoted = urllib.parse.quote(patient, safe="")
    return PatientRecord(
        patient_id=patient,
        prefetch={
            "patient": connection.get_json(f"{issuer}/Patient/{quoted}", bearer=access),
            "conditions": connection.get_json(
                f"{issuer}/Condition?patient={quoted}", bearer=access
            ),
            "observations": connection.get_json(
                f"{issuer}/Observation?patient={quoted}", bearer=access
            ),
        },
    )


def patient_name(patient: Mapping[str, Any]) -> str:
    for name in patient.get("name") or []:
        if name.get("text"):
            return str(name["text"])
        parts = [*(name.get("given") or []), name.get("family") or ""]
        if any(parts):
            return " ".join(str(p) for p in parts if p)
    return ""
