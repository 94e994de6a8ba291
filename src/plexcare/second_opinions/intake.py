"""Read a second-opinion submission off the wire, bounded in size from the first byte.

FastAPI parses a route's ``Form``/``File`` parameters before it resolves the route's
dependencies, so a route that declares them spools an anonymous 200 MB upload to disk before
it can answer 401. The submission route therefore declares no body parameters: it checks who
is asking first, then calls `read_submission`, which

- accepts only a form: multipart, or URL-encoded for a question without files (415 otherwise);
- refuses a declared ``Content-Length`` over the limit with 413 before reading anything;
- streams the body through a running count, and refuses with 413 the moment the count passes
  the limit (a chunked body has no length to check up front);
- parses it with Starlette's multipart parser, at most `MAX_FILES` files and a few small
  fields, spooling each file to an anonymous temporary file (unlinked at creation, so a crash
  leaves nothing).

The limit is `upload_max_bytes` for all files of one submission together, plus
`FORM_ALLOWANCE` for the question and the multipart framing.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import ClientDisconnect, Request

from plexcare.errors import InvalidInput, ServiceError
from plexcare.portal.csrf import TOKEN_FIELD
from plexcare.second_opinions.service import MAX_FILES, IncomingFile
from plexcare.second_opinions.uploads import UploadTooLarge, UploadUnsupported, describe_size
from plexcare.web.body_limits import MULTIPART_ALLOWANCE_BYTES

FORM_ALLOWANCE = MULTIPART_ALLOWANCE_BYTES
"""Room beyond the files' limit for the question (at most 5,000 characters) and the framing:
the same room the body-limit middleware in front of every route allows."""
_MAX_FIELDS = 5
_MAX_FIELD_BYTES = 32 * 1024


class MalformedUpload(ServiceError):
    """The body is not the multipart form it says it is (HTTP 400)."""

    status = 400
    title = "Bad request"


@dataclass(frozen=True)
class Submission:
    question: str
    files: list[IncomingFile]
    csrf_token: str = ""
    """The page form's token (`portal.csrf`); the JSON API, called with a bearer token, sends
    none and needs none."""


_MULTIPART = "multipart/form-data"
_URLENCODED = "application/x-www-form-urlencoded"


def body_limit(max_bytes: int, media_type: str = _MULTIPART) -> int:
    """The most a submission's body may hold: the files' limit and the form allowance, or the
    allowance alone for a form without files (which can only be URL-encoded)."""
    return max_bytes + FORM_ALLOWANCE if media_type == _MULTIPART else FORM_ALLOWANCE


def _too_large(max_bytes: int) -> UploadTooLarge:
    return UploadTooLarge(
        f"the upload is larger than the {describe_size(max_bytes)} limit for all files together"
    )


def media_type_of(request: Request) -> str:
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


def check_declared_length(request: Request, *, max_bytes: int) -> None:
    """Refuse before reading: a body that is not a form, or says it is too long."""
    media_type = media_type_of(request)
    if media_type not in (_MULTIPART, _URLENCODED):
        raise UploadUnsupported(
            "send the question and files as multipart/form-data (an HTML form with files)"
        )
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise MalformedUpload("the Content-Length header is not a number")
        if int(declared) > body_limit(max_bytes, media_type):
            raise _too_large(max_bytes)


async def _bounded(request: Request, *, limit: int, max_bytes: int) -> AsyncGenerator[bytes, None]:
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise _too_large(max_bytes)
        yield chunk


async def _parse(request: Request, *, max_bytes: int) -> FormData:
    media_type = media_type_of(request)
    stream = _bounded(request, limit=body_limit(max_bytes, media_type), max_bytes=max_bytes)
    parser: MultiPartParser | FormParser
    if media_type == _MULTIPART:
        parser = MultiPartParser(
            request.headers,
            stream,
            max_files=MAX_FILES,
            max_fields=_MAX_FIELDS,
            max_part_size=_MAX_FIELD_BYTES,
        )
    else:
        parser = FormParser(
            request.headers, stream, max_fields=_MAX_FIELDS, max_part_size=_MAX_FIELD_BYTES
        )
    try:
        return await parser.parse()
    except ClientDisconnect:
        raise MalformedUpload("the upload was interrupted before it ended") from None
    except MultiPartException as error:
        if error.message.startswith("Too many files"):
            raise InvalidInput(f"send at most {MAX_FILES} files at once", field="files") from None
        raise MalformedUpload(f"the upload is not a valid form: {error.message}") from None


@asynccontextmanager
async def read_submission(request: Request, *, max_bytes: int) -> AsyncIterator[Submission]:
    """The question and files of a submission; the spooled files are closed on leaving."""
    check_declared_length(request, max_bytes=max_bytes)
    form = await _parse(request, max_bytes=max_bytes)
    try:
        question = form.get("question")
        if not isinstance(question, str):
            raise InvalidInput("write your question", field="question")
        sent = form.getlist("files")
        if any(not isinstance(item, UploadFile) for item in sent):
            raise InvalidInput("files must be sent as files, not text", field="files")
        files = [
            IncomingFile(stream=item.file, file_name=item.filename)
            for item in sent
            if isinstance(item, UploadFile) and (item.filename or item.size)
        ]
        token = form.get(TOKEN_FIELD)
        yield Submission(
            question=question, files=files, csrf_token=token if isinstance(token, str) else ""
        )
    finally:
        await form.close()
