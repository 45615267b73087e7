"""Stores: admins edit them; `flask stores import PATH` imports all rows or none, naming bad lines."""
import pytest

from community.audit.models import AuditEntry
from community.errors import Conflict, ValidationError
from community.shopper import stores
from community.shopper.models import Store
from tests import factories as f

GOOD = ("name,city,kind,staff_names\n"
        "静安体验店,上海,sales,王小明;李雷\n"
        "浦东服务中心,上海,service,\n"
        "西湖交付中心,杭州,delivery,韩梅梅、Han Meimei\n")


def test_import_good_file(app, runner, tmp_path):
    path = tmp_path / "stores.csv"
    path.write_text("\ufeff" + GOOD, encoding="utf-8")
    result = runner.invoke(args=["stores", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 store(s) created" in result.output
    west = Store.query.filter_by(city="杭州").one()
    assert west.kind == "delivery" and west.staff_names == ["韩梅梅", "Han Meimei"]
    # again, with one change: updates, creates nothing
    path.write_text(GOOD.replace("浦东服务中心,上海,service,", "浦东服务中心,上海,service,张三"), encoding="utf-8")
    result = runner.invoke(args=["stores", "import", str(path)])
    assert "0 store(s) created, 3 updated" in result.output
    assert Store.query.filter_by(name="浦东服务中心").one().staff_names == ["张三"]


def test_import_bad_rows_are_reported_by_line_and_nothing_is_imported(app, runner, tmp_path):
    path = tmp_path / "stores.csv"
    path.write_text(GOOD + ",北京,sales,\n三里屯店,北京,showroom,\n静安体验店,上海,sales,\n", encoding="utf-8")
    result = runner.invoke(args=["stores", "import", str(path)])
    assert result.exit_code == 1
    assert "line 5" in result.output and "line 6" in result.output and "line 7" in result.output
    assert "line 2:" not in result.output and "same store as line 2" in result.output
    assert Store.query.count() == 0


def test_import_needs_the_header(app):
    with pytest.raises(ValidationError) as err:
        stores.import_csv("a,b,c\n1,2,3\n")
    assert "line 1" in err.value.fields


def test_admin_saves_a_store_audited(app, client, auth):
    admin = f.admin()
    auth.login_as(admin)
    resp = client.post("/shopper/stores/new", data={"name": "成华店", "city": "成都", "kind": "sales",
                                                   "staff_names": "赵六\n钱七", "is_active": "y"})
    assert resp.status_code == 302
    store = Store.query.one()
    assert store.staff_names == ["赵六", "钱七"]
    entry = AuditEntry.query.filter_by(action="store.save").one()
    assert "赵六" not in str(entry.after)  # staff names are personal data: counted, not copied
    resp = client.post("/shopper/stores/new", data={"name": "成华店", "city": "成都", "kind": "sales"})
    assert resp.status_code == 409 or resp.status_code == 422
    assert "Already taken in this city" in resp.get_data(as_text=True)


def test_duplicate_store_is_a_conflict(app):
    stores.save_store(None, None, name="X", city="Y", kind="sales", staff_names="")
    with pytest.raises(Conflict):
        stores.save_store(None, None, name="X", city="Y", kind="service", staff_names="")


def test_import_refuses_a_file_that_is_not_utf8(app, runner, tmp_path):
    path = tmp_path / "stores.csv"
    path.write_bytes(GOOD.encode("gbk"))
    result = runner.invoke(args=["stores", "import", str(path)])
    assert result.exit_code == 1 and "not UTF-8" in result.output
    assert Store.query.count() == 0
