"""How call sites are written: paths as the reader knows them, shortened only as far as needed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from chrono._sites import (
    distinct_tails,
    reader_path,
    set_default_root,
    short_qualname,
    site_column,
)


def native(path: str) -> str:
    """``path`` written with this system's separator."""
    return path.replace("/", os.sep)


class TestReaderPath:
    def test_relative_to_the_working_directory(self) -> None:
        """A file under the working directory is shown from there."""
        path = os.path.join(os.getcwd(), "src", "acme", "app.py")
        assert reader_path(path) == native("src/acme/app.py")

    def test_relative_to_its_import_path(self, tmp_path: Path) -> None:
        """A file elsewhere is shown from the import path it was found on."""
        site_packages = os.path.join(str(tmp_path), "lib", "site-packages")
        sys.path.append(site_packages)
        try:
            path = os.path.join(site_packages, "requests", "api.py")
            assert reader_path(path, root=os.path.join(str(tmp_path), "project")) == native(
                "requests/api.py"
            )
        finally:
            sys.path.remove(site_packages)

    def test_relative_to_the_default_root_wherever_the_program_runs(self, tmp_path: Path) -> None:
        """With a default root set (pytest's rootdir), a file under it is shown from there,
        not from the working directory; setting it back restores the working directory."""
        root = os.path.join(str(tmp_path), "project")
        path = os.path.join(root, "src", "acme", "app.py")
        before = set_default_root(root)
        try:
            assert reader_path(path) == native("src/acme/app.py")
        finally:
            assert set_default_root(before) == root
        assert reader_path(os.path.join(os.getcwd(), "app.py")) == "app.py"

    def test_names_that_are_not_files_stay(self) -> None:
        """``<string>`` and the like are shown as they are."""
        assert reader_path("<string>") == "<string>"


class TestDistinctTails:
    def test_lone_file_is_its_name(self) -> None:
        """One file alone shows its name only."""
        path = native("src/acme/billing/services/invoices.py")
        assert distinct_tails([path]) == {path: "invoices.py"}

    def test_same_names_keep_the_directory_that_differs(self) -> None:
        """models.py twice keeps the directory that tells them apart; others their names."""
        orders, billing, cart = (
            native(path) for path in ("shop/orders/models.py", "shop/billing/models.py", "cart.py")
        )
        assert distinct_tails([orders, billing, cart]) == {
            orders: native("orders/models.py"),
            billing: native("billing/models.py"),
            cart: "cart.py",
        }

    def test_path_that_is_the_tail_of_another_stays_whole(self) -> None:
        """models.py beside shop/models.py: both stay whole, and differ."""
        short, long = "models.py", native("shop/models.py")
        assert distinct_tails([short, long]) == {short: short, long: long}

    def test_deeper_directories_when_the_nearest_are_shared(self) -> None:
        """a/x/models.py and b/x/models.py need two directories."""
        first, second = native("a/x/models.py"), native("b/x/models.py")
        assert distinct_tails([first, second]) == {first: first, second: second}

    def test_absolute_paths(self) -> None:
        """Paths outside any import path shorten the same way."""
        first, second = native("/srv/one/app.py"), native("/srv/two/app.py")
        assert distinct_tails([first, second]) == {
            first: native("one/app.py"),
            second: native("two/app.py"),
        }


class TestShortQualname:
    def test_fits_whole(self) -> None:
        """A name that fits is not touched."""
        assert short_qualname("Cart.total", 10) == "Cart.total"

    def test_middle_goes_first(self) -> None:
        """Too long, the start is kept as far as it fits, then the function's own name."""
        assert short_qualname("InvoiceService.compute_line_total", 23) == "Inv….compute_line_total"

    def test_own_name_is_never_cut(self) -> None:
        """Even with no room, the function's own name is whole."""
        assert short_qualname("Outer.<locals>.handler", 3) == "….handler"
        assert short_qualname("a_long_function_name", 5) == "a_long_function_name"


class TestSiteColumn:
    def test_whole_when_every_site_fits(self) -> None:
        """Sites that fit keep their whole path from the working directory."""
        path = os.path.join(os.getcwd(), "src", "acme", "app.py")
        assert site_column([(path, 3, "main")], 40) == [f"{native('src/acme/app.py')}:3 in main"]

    def test_one_file_shows_one_way_on_every_row(self) -> None:
        """When one site is too wide, every row of the column shortens its file alike."""
        path = os.path.join(os.getcwd(), "src", "acme", "app.py")
        column = site_column([(path, 3, "main"), (path, 9, "Service.a_rather_long_name")], 40)
        assert column == ["app.py:3 in main", "app.py:9 in Service.a_rather_long_name"]
