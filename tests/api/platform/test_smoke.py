
def test_provision_and_me(platform, tenants):
    t = tenants.create()
    r = platform.get("/me", token=t.admin_token)
    assert r.status == 200, r.json
    assert r.json["tenant_id"] == t.tenant_id
    assert r.json["roles"] == ["admin"]
