"""Knowledge base: drafts, versions on publish, keyword search from the index, votes and
views, categories, the public self-service site, roles and tenant crossing."""

from __future__ import annotations

from typing import Any

import pytest

from crm_shared.ids import new_id
from tests.support.client import ApiClient, Tenant, Tenants
from tests.support.events import settle


@pytest.fixture(scope="module")
def tenant(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create()
    settle(runtimes)
    return made


@pytest.fixture(scope="module")
def other(tenants: Tenants, runtimes: dict[str, Any]) -> Tenant:
    made = tenants.create("Other")
    settle(runtimes)
    return made


def article(service: ApiClient, token: str, publish: bool = True, **fields: Any
            ) -> dict[str, Any]:
    made = service.post("/kb/articles", {"title": "Untitled", **fields}, token=token)
    assert made.status == 201, made.json
    if publish:
        done = service.post(f"/kb/articles/{made.json['article_id']}/publish", token=token)
        assert done.status == 200, done.json
        return dict(done.json)
    return dict(made.json)


def field_of(reply: Any) -> str:
    return str(reply.json["errors"][0]["field"])


def hits(reply: Any) -> list[str]:
    assert reply.status == 200, reply.json
    return [h["article_id"] for h in reply.json["items"]]


def test_draft_edit_and_bad_input(service: ApiClient, tenant: Tenant) -> None:
    made = service.post("/kb/articles", {"title": "Reset a password", "body": "# Steps\n1. Go",
                                         "locale": "EN_gb", "tags": ["Login", "login"]},
                        token=tenant.admin_token)
    assert made.status == 201, made.json
    draft = made.json
    assert made.header("Location") == f"/kb/articles/{draft['article_id']}"
    assert made.header("ETag") == '"1"'
    assert draft["locale"] == "en-GB" and draft["status"] == "draft"
    assert draft["tags"] == ["login"] and draft["author_id"] == tenant.admin_user_id
    assert draft["published_version"] is None and draft["has_unpublished_changes"]
    path = f"/kb/articles/{draft['article_id']}"
    edited = service.patch(path, {"title": "Reset your password"}, token=tenant.admin_token,
                           headers={"If-Match": '"1"'})
    assert edited.status == 200 and edited.json["version"] == 2, edited.json
    stale = service.patch(path, {"title": "Lost"}, token=tenant.admin_token,
                          headers={"If-Match": '"1"'})
    assert stale.status == 412, stale.json
    assert service.get(path, token=tenant.admin_token).json["title"] == "Reset your password"
    for body, field, status in [
            ({"title": "x", "locale": "english!"}, "locale", 422),
            ({"title": "x", "locale": "e"}, "locale", 422),
            ({"body": "no title"}, "title", 422),
            ({"title": ""}, "title", 422),
            ({"title": "x", "status": "published"}, "status", 422),
            ({"title": "x", "category_id": "kbc_nope"}, "category_id", 422),
            ({"title": "x", "category_id": new_id("kbc")}, "category_id", 422),
            ({"title": "x", "tags": ["no spaces"]}, "tags[0]", 422)]:
        reply = service.post("/kb/articles", body, token=tenant.admin_token)
        assert reply.status == status and field_of(reply) == field, (body, reply.json)
    cleared = service.patch(path, {"title": None}, token=tenant.admin_token)
    assert cleared.status == 422 and field_of(cleared) == "title"
    assert service.get(f"/kb/articles/{new_id('art')}", token=tenant.admin_token).status == 404
    assert service.get("/kb/articles/nonsense", token=tenant.admin_token).status == 404
    listed = service.get("/kb/articles?status=draft", token=tenant.admin_token)
    assert draft["article_id"] in [a["article_id"] for a in listed.json["items"]]
    for query, field in [("status=gone", "status"), ("status=draft&locale=en", "status"),
                         ("locale=!!", "locale"), ("category_id=x", "category_id")]:
        reply = service.get(f"/kb/articles?{query}", token=tenant.admin_token)
        assert reply.status in (400, 422) and field_of(reply) == field, (query, reply.json)


def test_every_publish_is_a_version(service: ApiClient, tenant: Tenant) -> None:
    first = article(service, tenant.admin_token, title="Printer jams", body="Open tray A.")
    assert first["status"] == "published" and first["published_version"] == 1
    assert not first["has_unpublished_changes"]
    path = f"/kb/articles/{first['article_id']}"
    again = service.post(f"{path}/publish", token=tenant.admin_token)
    assert again.status == 409 and field_of(again) == "status", again.json
    edited = service.patch(path, {"body": "Open tray B."}, token=tenant.admin_token)
    assert edited.json["has_unpublished_changes"] and edited.json["status"] == "published"
    stale = service.post(f"{path}/publish", token=tenant.admin_token,
                         headers={"If-Match": f'"{first["version"]}"'})
    assert stale.status == 412, stale.json
    second = service.post(f"{path}/publish", token=tenant.admin_token)
    assert second.status == 200 and second.json["published_version"] == 2, second.json
    versions = service.get(f"{path}/versions", token=tenant.admin_token).json["items"]
    assert [(v["version_number"], v["body"]) for v in versions] == [
        (2, "Open tray B."), (1, "Open tray A.")]
    one = service.get(f"{path}/versions/1", token=tenant.admin_token)
    assert one.status == 200 and one.json["body"] == "Open tray A."
    assert one.json["published_by"] == tenant.admin_user_id
    for number in ("3", "0", "abc", "99999999"):
        assert service.get(f"{path}/versions/{number}", token=tenant.admin_token).status == 404
    missing = f"/kb/articles/{new_id('art')}"
    assert service.get(f"{missing}/versions", token=tenant.admin_token).status == 404
    assert service.post(f"{missing}/publish", token=tenant.admin_token).status == 404


def test_search_ranks_from_the_index(service: ApiClient, tenant: Tenant) -> None:
    token = tenant.admin_token
    best = article(service, token, title="Resetting passwords",
                   body="To reset a password open Settings. The password reset link expires.")
    some = article(service, token, title="Account settings",
                   body="Settings hold your password and your email.")
    article(service, token, title="Shipping times", body="Parcels ship in two days.")
    german = article(service, token, title="Passwort zurücksetzen", body="Passwort ändern.",
                     locale="de")
    draft = article(service, token, publish=False, title="Password secrets",
                    body="password password password")
    found = hits(service.get("/kb/articles/search?q=How+do+I+reset+my+password&locale=en",
                             token=token))
    assert found[:2] == [best["article_id"], some["article_id"]]
    assert draft["article_id"] not in found and german["article_id"] not in found
    scores = service.get("/kb/articles/search?q=password&locale=en", token=token).json["items"]
    assert scores[0]["score"] > scores[1]["score"] > 0 and scores[0]["summary"]
    assert hits(service.get("/kb/articles/search?q=passwort&locale=de", token=token)) == [
        german["article_id"]]
    assert hits(service.get("/kb/articles/search?q=the+and+of", token=token)) == []
    too_many = service.get("/kb/articles/search?q=one+two+three+four+five+six", token=token)
    assert too_many.status == 422 and field_of(too_many) == "q"
    bad = service.get("/kb/articles/search?q=x&locale=not_a+locale!", token=token)
    assert bad.status == 422 and field_of(bad) == "locale"
    browse = hits(service.get("/kb/articles/search?locale=en&limit=2", token=token))
    assert len(browse) == 2 and draft["article_id"] not in browse
    # a republish moves the postings; an archive removes them
    path = f"/kb/articles/{best['article_id']}"
    service.patch(path, {"title": "Two-factor codes", "body": "Codes arrive by text."},
                  token=token)
    service.post(f"{path}/publish", token=token)
    assert best["article_id"] not in hits(service.get("/kb/articles/search?q=reset",
                                                      token=token))
    assert hits(service.get("/kb/articles/search?q=codes", token=token)) == [
        best["article_id"]]
    archived = service.post(f"{path}/archive", token=token)
    assert archived.status == 200 and archived.json["status"] == "archived"
    assert hits(service.get("/kb/articles/search?q=codes", token=token)) == []
    twice = service.post(f"{path}/archive", token=token)
    assert twice.status == 409 and field_of(twice) == "status"
    back = service.post(f"{path}/publish", token=token)
    assert back.status == 200 and back.json["published_version"] == 3
    assert hits(service.get("/kb/articles/search?q=codes", token=token)) == [
        best["article_id"]]


def test_search_by_category_and_the_category_tree(service: ApiClient, tenant: Tenant) -> None:
    token = tenant.admin_token
    top = service.post("/kb/categories", {"name": "Billing"}, token=token).json
    child = service.post("/kb/categories", {"name": "Invoices", "parent_id":
                                            top["category_id"]}, token=token).json
    grandchild = service.post("/kb/categories", {"name": "Refund invoices", "parent_id":
                                                 child["category_id"]}, token=token).json
    filed = article(service, token, title="Invoice copies", body="Download invoice PDFs.",
                    category_id=child["category_id"])
    loose = article(service, token, title="Invoice address", body="Change the invoice.")
    by_category = hits(service.get(
        f"/kb/articles/search?q=invoice&category_id={child['category_id']}", token=token))
    assert by_category == [filed["article_id"]]
    assert set(hits(service.get("/kb/articles/search?q=invoice", token=token))) >= {
        filed["article_id"], loose["article_id"]}
    loop = service.patch(f"/kb/categories/{top['category_id']}",
                         {"parent_id": grandchild["category_id"]}, token=token)
    assert loop.status == 422 and field_of(loop) == "parent_id", loop.json
    itself = service.patch(f"/kb/categories/{top['category_id']}",
                           {"parent_id": top["category_id"]}, token=token)
    assert itself.status == 422 and field_of(itself) == "parent_id"
    orphan = service.post("/kb/categories", {"name": "x", "parent_id": new_id("kbc")},
                          token=token)
    assert orphan.status == 422 and field_of(orphan) == "parent_id"
    assert service.post("/kb/categories", {"name": ""}, token=token).status == 422
    kids = service.get(f"/kb/categories?parent_id={top['category_id']}", token=token).json
    assert [c["category_id"] for c in kids["items"]] == [child["category_id"]]
    roots = service.get("/kb/categories?parent_id=root", token=token).json["items"]
    assert top["category_id"] in [c["category_id"] for c in roots]
    busy = service.delete(f"/kb/categories/{top['category_id']}", token=token)
    assert busy.status == 409 and field_of(busy) == "category_id"
    filed_under = service.delete(f"/kb/categories/{child['category_id']}", token=token)
    assert filed_under.status == 409  # a subcategory and an article
    moved = service.patch(f"/kb/categories/{grandchild['category_id']}",
                          {"parent_id": top["category_id"], "name": "Refunds"},
                          token=token, headers={"If-Match": '"1"'})
    assert moved.status == 200 and moved.json["parent_id"] == top["category_id"]
    assert service.delete(f"/kb/categories/{grandchild['category_id']}",
                          token=token).status == 204
    assert service.get(f"/kb/categories/{grandchild['category_id']}",
                       token=token).status == 404


def test_votes_are_claims_and_views_count_on_the_public_read(service: ApiClient,
                                                             tenants: Tenants,
                                                             tenant: Tenant) -> None:
    token = tenant.admin_token
    made = article(service, token, title="Voting", body="Vote here.")
    path = f"/kb/articles/{made['article_id']}"
    first = service.post(f"{path}/votes", {"helpful": True}, token=token)
    assert first.status == 201 and first.json["helpful_count"] == 1, first.json
    again = service.post(f"{path}/votes", {"helpful": False}, token=token)
    assert again.status == 409 and field_of(again) == "helpful", again.json
    contact = new_id("con")
    theirs = service.post(f"{path}/votes", {"helpful": False, "contact_id": contact},
                          token=token)
    assert theirs.status == 201 and theirs.json["unhelpful_count"] == 1
    assert service.post(f"{path}/votes", {"helpful": True, "contact_id": contact},
                        token=token).status == 409
    missing = service.post(f"{path}/votes", {}, token=tenants.user(tenant, "sales_rep"))
    assert missing.status == 422 and field_of(missing) == "helpful"
    bad = service.post(f"{path}/votes", {"helpful": "maybe"}, token=token)
    assert bad.status == 422 and field_of(bad) == "helpful"
    draft = article(service, token, publish=False)
    refused = service.post(f"/kb/articles/{draft['article_id']}/votes", {"helpful": True},
                           token=token)
    assert refused.status == 409 and field_of(refused) == "status"
    assert service.post(f"/kb/articles/{new_id('art')}/votes", {"helpful": True},
                        token=token).status == 404
    key = service.post("/kb/settings/site-key", token=token).json["site_key"]
    for expected in (1, 2):
        seen = service.get(f"/kb/public/{key}/articles/{made['article_id']}")
        assert seen.status == 200 and seen.json["views"] == expected, seen.json
    read = service.get(path, token=token).json
    assert (read["views"], read["helpful_count"], read["unhelpful_count"]) == (2, 1, 1)


def test_public_site_shows_live_articles_of_its_tenant_only(service: ApiClient,
                                                            tenant: Tenant,
                                                            other: Tenant) -> None:
    mine = article(service, tenant.admin_token, title="Public returns policy",
                   body="Return within 30 days.")
    draft = article(service, tenant.admin_token, publish=False, title="Secret returns plan")
    theirs = article(service, other.admin_token, title="Their returns policy",
                     body="Return within 14 days.")
    key = service.post("/kb/settings/site-key", token=tenant.admin_token).json["site_key"]
    other_key = service.post("/kb/settings/site-key", token=other.admin_token).json["site_key"]
    base = f"/kb/public/{key}"
    assert service.get(f"{base}/articles/{mine['article_id']}").status == 200
    assert service.get(f"{base}/articles/{draft['article_id']}").status == 404
    crossing = service.get(f"{base}/articles/{theirs['article_id']}")
    assert crossing.status == 404 and other.tenant_id not in crossing.raw.decode()
    assert service.get(f"/kb/public/{other_key}/articles/{mine['article_id']}").status == 404
    found = hits(service.get(f"{base}/search?q=returns"))
    assert mine["article_id"] in found and theirs["article_id"] not in found
    assert draft["article_id"] not in found
    listed = hits(service.get(f"{base}/articles?limit=100"))
    assert mine["article_id"] in listed and theirs["article_id"] not in listed
    assert service.get(f"{base}/search?q=ab+bc+cd+de+ef+fg").status == 422
    for bogus in ("kb_nothing", "fk_" + key[3:], "x" * 300):
        assert service.get(f"/kb/public/{bogus}/articles").status == 404
    # the default locale comes with the key; rotation and removal close the old links
    changed = service.patch("/kb/settings", {"default_locale": "DE"}, token=tenant.admin_token)
    assert changed.status == 200 and changed.json["default_locale"] == "de"
    assert hits(service.get(f"{base}/search?q=returns")) == []
    assert mine["article_id"] in hits(service.get(f"{base}/search?q=returns&locale=en"))
    bad = service.patch("/kb/settings", {"default_locale": "??"}, token=tenant.admin_token)
    assert bad.status == 422 and field_of(bad) == "default_locale"
    rotated = service.post("/kb/settings/site-key", token=tenant.admin_token).json["site_key"]
    assert rotated != key and service.get(f"{base}/articles").status == 404
    assert service.get(f"/kb/public/{rotated}/articles?locale=en").status == 200
    assert service.delete("/kb/settings/site-key", token=tenant.admin_token).status == 204
    assert service.get(f"/kb/public/{rotated}/articles").status == 404
    settings = service.get("/kb/settings", token=tenant.admin_token).json
    assert settings["site_key"] is None and settings["default_locale"] == "de"


def test_roles(service: ApiClient, tenants: Tenants, tenant: Tenant) -> None:
    agent, viewer = tenants.user(tenant, "support_agent"), tenants.user(tenant, "viewer")
    made = article(service, agent, title="Agent written", body="By an agent.")
    assert made["author_id"] == tenant.user_ids["support_agent"]
    assert service.get(f"/kb/articles/{made['article_id']}", token=viewer).status == 200
    assert service.get("/kb/articles/search?q=agent", token=viewer).status == 200
    assert service.post("/kb/articles", {"title": "no"}, token=viewer).status == 403
    assert service.post(f"/kb/articles/{made['article_id']}/votes", {"helpful": True},
                        token=viewer).status == 403
    assert service.post("/kb/categories", {"name": "Agents"}, token=agent).status == 201
    assert service.get("/kb/settings", token=agent).status == 403
    assert service.post("/kb/settings/site-key", token=agent).status == 403
