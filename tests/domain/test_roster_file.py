"""Reading a federation's roster file: forgiving about the file, strict about each row."""

from deliberate.domain.roster import MAX_ROWS, RosterRole, read_roster


def test_a_spanish_excel_roster_with_semicolons_a_bom_and_accents_is_read():
    data = ("\ufeffClub;Nombre completo;Correo electrónico;Cargo;Idioma\r\n"
            "Club Jerez;Ana Pérez;ANA@example.org;Tesorera;Español\r\n"
            "Club Jerez;Luis Díaz;luis@example.org;;inglés\r\n").encode("utf-8")
    roster = read_roster(data)
    assert roster.is_valid
    assert [(row.line, row.club, row.name, row.email, row.role, row.language) for row in roster.rows] == [
        (2, "Club Jerez", "Ana Pérez", "ana@example.org", RosterRole.OFFICER, "es"),
        (3, "Club Jerez", "Luis Díaz", "luis@example.org", RosterRole.MEMBER, "en"),
    ]


def test_a_windows_1252_file_keeps_its_accents():
    data = "club,name,email\nClub Tlaltenango,José Núñez,jose@example.org\n".encode("cp1252")
    assert read_roster(data).rows[0].name == "José Núñez"


def test_columns_it_does_not_know_are_named_and_never_read():
    data = b"email,club,telefono,direccion\na@example.org,Club A,555-1234,Calle 1\n"
    roster = read_roster(data)
    assert roster.ignored_columns == ("telefono", "direccion")
    assert "555" not in repr(roster.rows)


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_valid():
    data = ("club,name,email,role,language\n"
            "Club A,Ana,ana@example.org,member,es\n"
            ",Sin club,b@example.org,,\n"
            "Club A,Bad,not-an-email,,\n"
            "Club A,Twice,ANA@example.org,,\n"
            "Club A,Who,c@example.org,king,\n"
            "Club A,Lang,d@example.org,,klingon\n"
            f"Club A,{'x' * 81},e@example.org,,\n").encode()
    roster = read_roster(data)
    assert not roster.is_valid
    assert [(error.line, error.field, error.code) for error in roster.errors] == [
        (3, "club", "required"), (4, "email", "invalid"), (5, "email", "duplicate"), (6, "role", "unknown"),
        (7, "language", "unknown"), (8, "name", "too_long"),
    ]
    assert roster.errors[2].value == "2"  # the line where the address first appears


def test_a_file_without_a_club_or_email_column_is_refused_as_a_whole():
    assert read_roster(b"nombre,telefono\nAna,555\n").errors[0].code == "missing_column"
    assert read_roster(b"nombre,correo\nAna,a@example.org\n").errors[0].field == "club"


def test_empty_binary_and_oversized_files_are_refused_without_raising():
    assert read_roster(b"").errors[0].code == "empty"
    assert read_roster(b"club,email\n").errors[0].code == "no_rows"
    assert read_roster(b"\x00\x01\x02\xff\xfe" * 10).errors[0].code == "not_text"
    assert read_roster(b"club,email\n" + b"x" * 1_000_001).errors[0].code == "too_large"
    many = "club,email\n" + "".join(f"Club,p{i}@example.org\n" for i in range(MAX_ROWS + 1))
    assert read_roster(many.encode()).errors[0].code == "too_many_rows"


def test_blank_lines_are_skipped_and_clubs_are_listed_once_in_order():
    data = b"club,email\nClub B,b@example.org\n\n,,\nClub A,a@example.org\nClub B,c@example.org\n"
    roster = read_roster(data)
    assert roster.is_valid and roster.clubs == ("Club B", "Club A")


def test_a_formula_in_a_cell_is_kept_as_plain_text():
    roster = read_roster(b'club,name,email\nClub A,"=HYPERLINK(""http://x"")",a@example.org\n')
    assert roster.rows[0].name == '=HYPERLINK("http://x")'
