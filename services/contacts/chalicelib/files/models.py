"""File items: metadata of an object in the files bucket."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, VersionAttribute

from chalicelib.models import ContactsItem


class FileItem(ContactsItem):
    """A file attached to a contact, company, opportunity or ticket.

    `pending` until the client confirms its upload and the object checks out, then
    `available`. A pending item expires (TTL) if the upload is never completed.
    """

    file_id = UnicodeAttribute()
    tenant_id = UnicodeAttribute()
    related_id = UnicodeAttribute()
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    object_key = UnicodeAttribute()
    status = UnicodeAttribute()
    owner_id = UnicodeAttribute(null=True)
    team_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    completed_at = UnicodeAttribute(null=True)
    version = VersionAttribute()
