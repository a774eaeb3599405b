import json

from patientapp import i18n


def test_demo_prints_one_working_link_per_language_and_an_appointment_with_three_people(app):
    result = app.test_cli_runner().invoke(args=["demo", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["language"] for r in rows if r["role"] == "patient"] == list(i18n.LANGUAGES)
    # The Somali patient's appointment: an interpreter and a home-care nurse with Norwegian pages.
    after_so = [(r["role"], r["language"]) for r in rows[[r["language"] for r in rows].index("so") + 1:][:2]]
    assert after_so == [("interpreter", "nb"), ("health-worker", "nb")]
    for row in rows:
        assert row["link"].startswith(app.config["PUBLIC_BASE_URL"] + "/i/")
        client = app.test_client()
        path = row["link"][len(app.config["PUBLIC_BASE_URL"]):]
        assert client.get(path).status_code == 303
        assert f'lang="{row["language"]}"' in client.get("/visit").get_data(as_text=True)


def test_demo_text_output_and_idempotent_clinic(app):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["demo"])
        assert result.exit_code == 0 and result.output.count("/i/") == 8
        assert result.output.count("joins the one above") == 2


def test_db_upgrade_is_idempotent(app):
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0 and "up to date" in result.output
