"""Files: presigned uploads into the tenant's prefix on moto's S3, checks, downloads."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
import requests

from tests.support.client import ApiClient, Tenant, Tenants, unique
from tests.support.events import settle
from tests.support.services import load_app

PDF = b"%PDF-1.4 a tiny test document"


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


def new_contact(contacts: ApiClient, tenant: Tenant) -> str:
    reply = contacts.post("/contacts", {"first_name": "Ada", "last_name": unique("Files ")},
                          token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return str(reply.json["contact_id"])


def start(contacts: ApiClient, tenant: Tenant, related_id: str, **body: Any) -> Any:
    sent = {"related_id": related_id, "filename": "Quote.pdf", "content_type": "application/pdf",
            "size": len(PDF), **body}
    reply = contacts.post("/files", sent, token=tenant.admin_token)
    assert reply.status == 201, reply.json
    return reply.json


def upload(made: dict[str, Any], content: bytes, content_type: str | None = None) -> int:
    fields = dict(made["upload"]["fields"])
    if content_type:
        fields["Content-Type"] = content_type
    sent = requests.post(made["upload"]["url"], data=fields, timeout=10,
                         files={"file": ("upload", content, fields["Content-Type"])})
    return sent.status_code


def bucket_has(session: Any, key: str) -> bool:
    from botocore.exceptions import ClientError

    load_app("contacts")
    bucket = importlib.import_module("chalicelib.config").files_bucket()
    try:
        session.client("s3").head_object(Bucket=bucket, Key=key)
    except ClientError:
        return False
    return True


def test_upload_complete_download_delete(contacts: ApiClient, tenant: Tenant,
                                         session: Any) -> None:
    person = new_contact(contacts, tenant)
    made = start(contacts, tenant, person)
    assert made["status"] == "pending" and made["file_id"].startswith("fil_")
    key = made["upload"]["fields"]["key"]
    assert key == f"{tenant.tenant_id}/files/{made['file_id']}/Quote.pdf"
    assert made["upload"]["method"] == "POST"
    assert made["download_url"] is None
    path = f"/files/{made['file_id']}"
    early = contacts.post(f"{path}/complete", token=tenant.admin_token)
    assert early.status == 409 and early.json["code"] == "upload_missing"
    assert upload(made, PDF) in (200, 201, 204)
    done = contacts.post(f"{path}/complete", token=tenant.admin_token)
    assert done.status == 200, done.json
    assert done.json["status"] == "available" and done.json["completed_at"]
    again = contacts.post(f"{path}/complete", token=tenant.admin_token)
    assert again.status == 200 and again.json == done.json
    read = contacts.get(path, token=tenant.admin_token)
    assert read.status == 200 and read.json["download_url"]
    got = requests.get(read.json["download_url"], timeout=10)
    assert got.status_code == 200 and got.content == PDF
    listed = contacts.get(f"/files?related_id={person}", token=tenant.admin_token).json
    assert [f["file_id"] for f in listed["items"]] == [made["file_id"]]
    everything = contacts.get("/files?limit=100", token=tenant.admin_token).json
    assert made["file_id"] in {f["file_id"] for f in everything["items"]}
    entries = contacts.get(f"/contacts/{person}/timeline", token=tenant.admin_token).json
    assert entries["items"][0]["source"] == {"service": "contacts", "type": "file",
                                             "id": made["file_id"]}
    assert entries["items"][0]["summary"] == "File: Quote.pdf"
    assert contacts.delete(path, token=tenant.admin_token).status == 204
    assert contacts.get(path, token=tenant.admin_token).status == 404
    assert not bucket_has(session, key)
    assert contacts.get(f"/contacts/{person}/timeline", token=tenant.admin_token).json[
        "items"] == []
    card = contacts.get(f"/contacts/{person}/summary", token=tenant.admin_token).json
    assert card["counts"] == {}


def test_an_oversized_or_mistyped_upload_is_refused(contacts: ApiClient, tenant: Tenant,
                                                    session: Any) -> None:
    person = new_contact(contacts, tenant)
    made = start(contacts, tenant, person, size=10)
    upload(made, b"x" * 100)  # S3 itself refuses this; moto does not check POST policies
    refused = contacts.post(f"/files/{made['file_id']}/complete", token=tenant.admin_token)
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "size"
    assert not bucket_has(session, made["upload"]["fields"]["key"])
    assert contacts.get(f"/files/{made['file_id']}", token=tenant.admin_token).json[
        "status"] == "pending"
    typed = start(contacts, tenant, person)
    upload(typed, b"<script>alert(1)</script>", content_type="text/html")
    refused = contacts.post(f"/files/{typed['file_id']}/complete", token=tenant.admin_token)
    assert refused.status == 422 and refused.json["errors"][0]["field"] == "content_type"
    assert upload(typed, PDF) in (200, 201, 204)  # a second, correct try completes
    assert contacts.post(f"/files/{typed['file_id']}/complete",
                         token=tenant.admin_token).status == 200


@pytest.mark.parametrize(("body", "field"), [
    ({"size": 25 * 1024 * 1024 + 1}, "size"),
    ({"size": 0}, "size"),
    ({"content_type": "application/x-msdownload", "filename": "run.exe"}, "content_type"),
    ({"content_type": "image/png"}, "filename"),
    ({"filename": "../"}, "filename"),
    ({"related_id": "usr_01J00000000000000000000000"}, "related_id"),
    ({"related_id": "con_01J00000000000000000000000"}, "related_id"),
    ({"related_id": "cmp_01J00000000000000000000000"}, "related_id"),
    ({"public": True}, "public"),
])
def test_bad_files_are_422_naming_the_field(contacts: ApiClient, tenant: Tenant,
                                            body: dict[str, Any], field: str) -> None:
    sent = {"related_id": new_contact(contacts, tenant), "filename": "a.pdf",
            "content_type": "application/pdf", "size": 100, **body}
    reply = contacts.post("/files", sent, token=tenant.admin_token)
    assert reply.status == 422, reply.json
    assert reply.json["errors"][0]["field"] == field


def test_filenames_are_sanitized_and_foreign_ids_stored(contacts: ApiClient,
                                                        tenant: Tenant) -> None:
    made = start(contacts, tenant, "opp_01J00000000000000000000000",
                 filename="..\\..\\Réunion  notes?*.txt", content_type="text/plain; charset=utf-8")
    assert made["filename"] == "Réunion  notes?*.txt"
    assert made["content_type"] == "text/plain"
    assert made["upload"]["fields"]["key"] == (
        f"{tenant.tenant_id}/files/{made['file_id']}/Reunion_notes_.txt")
    listed = contacts.get("/files?related_id=opp_01J00000000000000000000000",
                          token=tenant.admin_token).json
    assert [f["file_id"] for f in listed["items"]] == [made["file_id"]]
    bad = contacts.get("/files?related_id=nope", token=tenant.admin_token)
    assert bad.status == 400 and bad.json["errors"][0]["field"] == "related_id"
    missing = contacts.get("/files?related_id=con_01J00000000000000000000000",
                           token=tenant.admin_token)
    assert missing.status == 404


def test_erase_and_export_reach_files(contacts: ApiClient, tenant: Tenant,
                                      session: Any) -> None:
    person = new_contact(contacts, tenant)
    made = start(contacts, tenant, person)
    upload(made, PDF)
    assert contacts.post(f"/files/{made['file_id']}/complete",
                         token=tenant.admin_token).status == 200
    load_app("contacts")
    parties = importlib.import_module("chalicelib.parties")
    exported = parties.exporters()["files"](tenant.tenant_id, person)
    assert [f["file_id"] for f in exported] == [made["file_id"]]
    survivor = new_contact(contacts, tenant)
    assert parties.movers()["files"](tenant.tenant_id, person, survivor) == 1
    assert parties.movers()["timeline"](tenant.tenant_id, person, survivor) >= 1
    listed = contacts.get(f"/files?related_id={survivor}", token=tenant.admin_token).json
    assert [f["file_id"] for f in listed["items"]] == [made["file_id"]]
    assert parties.erasers()["files"](tenant.tenant_id, survivor) == 1
    assert not bucket_has(session, made["upload"]["fields"]["key"])
    assert contacts.get(f"/files/{made['file_id']}", token=tenant.admin_token).status == 404
