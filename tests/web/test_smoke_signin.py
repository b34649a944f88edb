"""A company user and an investor sign in (POST /api/login) to the same deal and see what each may (the API)."""


def test_an_investor_sees_only_its_own_damages_and_the_company_sees_every_investors(web):
    company = web.client("company:focus-1999", sign_in=True)
    everyone = company.get("/api/deals/focus-1999/evaluation", params={"as_of": "2000-06-30"}).json()
    assert sorted(everyone["liquidated_damages"]) == ["altar-rock", "raptor", "roseworth"]
    assert everyone["liquidated_damages"]["raptor"]["accrued"] == "6193.62"

    raptor = web.client("investor:focus-1999:raptor", sign_in=True)
    own = raptor.get("/api/deals/focus-1999/evaluation", params={"as_of": "2000-06-30"})
    assert list(own.json()["liquidated_damages"]) == ["raptor"]
    assert own.json()["liquidated_damages"]["raptor"]["accrued"] == "6193.62"
    for other in ("roseworth", "Roseworth Group", "altar-rock", "Altar Rock Fund", "Vaduz"):
        assert other not in own.text
    assert raptor.get("/api/deals/focus-1999/investors/roseworth/ld").status_code == 404
    assert raptor.get("/api/deals/lumen-2023/evaluation").status_code == 404
