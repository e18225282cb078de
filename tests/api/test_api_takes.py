"""`takes` over HTTP: `POST /api/generate` and `POST .../scenes/{n}/redo` take a
`takes` field (1..4; otherwise 422 and nothing written); K takes are made and ledgered, one is
picked by fidelity, the plan counts K video calls."""

from __future__ import annotations

from api_helpers import TINY, finished, serving

from vidpipe.config import Settings


async def test_takes_field_on_generate_and_redo(sqlite_settings: Settings) -> None:
    async with serving(sqlite_settings) as (_, client):
        for bad in (0, 5, "2", 2.5):
            refused = await client.post(
                "/api/generate", json={"prompt": "a fox", **TINY, "takes": bad}
            )
            assert refused.status_code == 422, refused.text
        assert (await client.get("/api/projects")).json()["total"] == 0  # nothing written
        assert (await client.get("/api/estimate", params={"takes": 5})).status_code == 422

        accepted = await client.post(
            "/api/generate", json={"prompt": "a fox in snow", **TINY, "takes": 2.0}
        )
        assert accepted.status_code == 202, accepted.text
        project_id = accepted.json()["project_id"]
        base = f"/api/projects/{project_id}"
        assert (await finished(client, project_id))["status"] == "complete"
        detail = (await client.get(base)).json()
        assert sum(1 for a in detail["ledger"]["attempts"] if a["role"] == "video") == 2
        listed = (await client.get(f"{base}/scenes/1/takes")).json()
        assert listed["takes_per_clip"] == 2
        clips = [t for t in listed["takes"] if t["slot"] == "clip"]
        assert [t["take"] for t in clips] == [1, 2]
        best = max(clips, key=lambda t: (t["fidelity"], -t["take"]))
        assert [t["take"] for t in clips if t["selected"] and t["auto_selected"]] == [best["take"]]

        for body in ({"target": "clip", "takes": 5}, {"target": "end_frame", "takes": 2}):
            refused = await client.post(f"{base}/scenes/1/redo", json=body)
            assert refused.status_code == 422, refused.text
        assert (await client.get(base)).json()["ledger"] == detail["ledger"]
        assert (await client.get(f"{base}/plan")).json()["provider_calls"]["video"] == 0
        missing = await client.post(f"{base}/scenes/1/takes/9/select?slot=end_frame")
        assert missing.status_code == 422 and "no end frame take 9" in missing.text
        same = await client.post(f"{base}/scenes/1/takes/1/select?slot=end_frame")
        assert same.status_code == 200, same.text
        assert same.json()["status"] == "complete" and same.json()["plan"]["items"] == []

        redo = await client.post(f"{base}/scenes/1/redo", json={"target": "clip", "takes": 3})
        assert redo.status_code == 202, redo.text
        assert (await finished(client, project_id))["status"] == "complete"
        clips = [
            t
            for t in (await client.get(f"{base}/scenes/1/takes")).json()["takes"]
            if t["slot"] == "clip"
        ]
        assert [t["take"] for t in clips] == [1, 2, 3, 4, 5]
        selected = [t["take"] for t in clips if t["selected"]]
        assert len(selected) == 1 and selected[0] in (3, 4, 5)  # from the redo's round
        detail = (await client.get(base)).json()
        assert sum(1 for a in detail["ledger"]["attempts"] if a["role"] == "video") == 5
