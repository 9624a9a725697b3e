"""`hesabu server demo-data`: a realistic dataset through the real sync path, once."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from personas import browser, csrf_from
from server_harness import table_counts
from sqlalchemy import func, select

from hesabu.cli import main
from server.extensions import db
from server.models import Conflict, Op, Record, RecordScope, Review, User
from server.services.demo import DEMO_PASSWORDS, load_demo


def test_demo_data_loads_once_through_the_op_path_and_everyone_can_log_in(app: Flask) -> None:
    with app.app_context():
        summary = load_demo()
        assert summary.created
        assert summary.settlements == 6 and 250 <= summary.structures <= 500
        assert 800 <= summary.households <= 1500
        records = db.session.execute(select(Record.form_id, func.count())
                                     .group_by(Record.form_id)).all()
        assert dict(records) == {"sdi_settlement_profile": 6, "sdi_city_profile": 2,
                                 "sdi_structure_numbering": summary.structures,
                                 "sdi_household_enumeration": summary.households}
        # Every record arrived as an op from an enumerator's tablet (or the leader's
        # resolution), and is linked to its settlement.
        devices = set(db.session.execute(select(Op.device_id).distinct()).scalars())
        assert devices == {"tab-amina", "tab-baraka", "tab-chanda", "server"}
        unlinked = db.session.execute(select(func.count()).select_from(RecordScope).where(
            RecordScope.settlement_id.is_(None))).scalar_one()
        assert unlinked == 0
        open_conflicts = db.session.execute(select(func.count()).select_from(Conflict).where(
            Conflict.resolved_at_seq.is_(None))).scalar_one()
        assert open_conflicts == summary.conflicts == 2
        assert db.session.execute(select(func.count()).select_from(Review)).scalar_one() == 7
        sizes = [len(r.answers["household"]["members"]) for r in db.session.execute(
            select(Record).where(Record.form_id == "sdi_household_enumeration")).scalars()]
        assert 3.0 < sum(sizes) / len(sizes) < 5.5 and max(sizes) <= 11
        roles = set(db.session.execute(select(User.role)).scalars())
        assert roles == {"admin", "leader", "enumerator", "official"}
        db.session.rollback()
    before = table_counts(app)
    with app.app_context():
        again = load_demo()
        assert not again.created
    assert table_counts(app) == before
    for username, role, password, _ in summary.users:
        assert DEMO_PASSWORDS[role] == password
        client = browser(app)
        login = client.post("/login", data={"username": username, "password": password,
                                            "csrf_token": csrf_from(client.get("/login")
                                                                   .get_data(as_text=True))})
        assert login.status_code == 302, username


def test_the_demo_data_command_prints_the_logins_and_adds_nothing_the_second_time(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hesabu.db'}"
    args = ["server", "demo-data", "--database-url", url, "--instance", str(tmp_path)]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    assert "demo data loaded: 6 settlements" in first.output
    assert "leader.nairobi" in first.output and DEMO_PASSWORDS["leader"] in first.output
    second = CliRunner().invoke(main, args)
    assert second.exit_code == 0, second.output
    assert "already loaded (nothing added)" in second.output
    assert "official.lusaka" in second.output
