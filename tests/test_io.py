"""Tests of synth_quality.io: reading tables and building the audit input."""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest

from synth_quality.errors import InputDataError
from synth_quality.io import AuditInput, SUPPORTED_FORMATS, load_inputs, read_table

REAL = [f"a real review number {i} about the film" for i in range(8)]
SYNTH = [f"a synthetic review number {i} about a movie" for i in range(8)]


@contextmanager
def fails(match):
    """pytest.raises(InputDataError) that also checks the message is one line."""
    with pytest.raises(InputDataError, match=match) as info:
        yield info
    assert "\n" not in str(info.value)


def write_csv(path, header, rows, sep=",", encoding="utf-8"):
    lines = [sep.join(header)] + [sep.join(str(v) for v in row) for row in rows]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def pair(tmp_path, real=REAL, synth=SYNTH):
    r = write_csv(tmp_path / "real.csv", ["id", "text"], list(enumerate(real)))
    s = write_csv(tmp_path / "synth.csv", ["id", "text"], list(enumerate(synth)))
    return r, s


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------------------ read_table

def test_supported_formats_listed():
    assert SUPPORTED_FORMATS[".csv"] == "csv" and SUPPORTED_FORMATS[".ndjson"] == "jsonl"


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".tab", ".parquet", ".pq", ".jsonl",
                                    ".ndjson", ".json"])
def test_round_trip_every_format(tmp_path, suffix):
    frame = pd.DataFrame({"id": ["1", "2", "3"],
                          "text": ["hello, world", 'she said "hi"\tthere', "ünïcode … text"]})
    path = tmp_path / f"data{suffix}"
    fmt = SUPPORTED_FORMATS[suffix]
    if fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "tsv":
        frame.to_csv(path, index=False, sep="\t")
    elif fmt == "parquet":
        frame.to_parquet(path, index=False)
    elif fmt == "jsonl":
        path.write_text("\n".join(json.dumps(r) for r in frame.to_dict("records")) + "\n",
                        encoding="utf-8")
    else:
        path.write_text(json.dumps(frame.to_dict("records")), encoding="utf-8")
    got, info = read_table(path)
    assert got["text"].tolist() == frame["text"].tolist()
    assert got["id"].tolist() == ["1", "2", "3"]
    assert info == {"path": str(path), "format": fmt,
                    "encoding": None if fmt == "parquet" else "utf-8", "n_rows": 3}


def test_csv_cells_are_strings_and_empty_cells_empty_strings(tmp_path):
    path = write_csv(tmp_path / "t.csv", ["n", "text", "x"], [["007", "  spaced  ", ""],
                                                             ["NA", "null", "1.50"]])
    got, _ = read_table(path)
    assert got.to_dict("list") == {"n": ["007", "NA"], "text": ["  spaced  ", "null"],
                                   "x": ["", "1.50"]}


def test_json_dict_of_lists_and_typed_values(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"text": ["one", "two"], "score": [1, 2]}))
    got, info = read_table(path)
    assert got["text"].tolist() == ["one", "two"] and got["score"].tolist() == [1, 2]
    assert info["format"] == "json"


def test_cp1252_file(tmp_path):
    path = tmp_path / "rt_eval.csv"
    path.write_bytes(b"text\nwait\x85 \x91quoted\x92 a\x96b c\x97d\n")
    got, info = read_table(path)
    assert got["text"].tolist() == ["wait\u2026 \u2018quoted\u2019 a\u2013b c\u2014d"]
    assert info["encoding"] == "cp1252"


def test_latin1_fallback(tmp_path):
    path = tmp_path / "l.csv"
    path.write_bytes(b"text\ncaf\xe9 \x81\n")  # 0x81 is undefined in cp1252
    got, info = read_table(path)
    assert info["encoding"] == "latin-1" and got["text"][0] == "caf\xe9 \x81"


def test_utf8_bom_is_stripped(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("\ufefftext,id\nhéllo,1\n".encode("utf-8"))
    got, info = read_table(path)
    assert list(got.columns) == ["text", "id"] and got["text"][0] == "héllo"
    assert info["encoding"] == "utf-8"


def test_binary_file(tmp_path):
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)))
    with fails(r"image\.csv looks like a binary file, not CSV/TSV/JSON text"):
        read_table(path)


def test_control_characters_count_as_binary(tmp_path):
    path = tmp_path / "ctl.jsonl"
    path.write_bytes(b"\x01\x02\x03\x04 abc\n" * 20)
    with fails("looks like a binary file"):
        read_table(path)


def test_parquet_named_csv_gets_a_hint(tmp_path):
    path = tmp_path / "really_parquet.csv"
    pd.DataFrame({"text": ["a", "b"]}).to_parquet(path)
    with fails("binary file.*rename it to .parquet"):
        read_table(path)


def test_broken_parquet(tmp_path):
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"text\nnot parquet at all\n")
    with fails(r"broken\.parquet is not a readable Parquet file \(.+\)"):
        read_table(path)


def test_missing_file_and_directory(tmp_path):
    with fails("file not found: .*nope.csv"):
        read_table(tmp_path / "nope.csv")
    with fails("is a directory"):
        read_table(tmp_path)


def test_unknown_extension(tmp_path):
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"whatever")
    with fails(r"data\.xlsx has extension '\.xlsx'; supported: \.csv, \.tsv"):
        read_table(path)


@pytest.mark.parametrize("name,content", [
    ("empty.csv", b""), ("header.csv", b"id,text\n"), ("blank.tsv", b"\n\n  \n"),
    ("empty.jsonl", b"\n"), ("empty.json", b"[]"), ("empty.parquet", b"")])
def test_empty_files(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with fails(rf"{name.replace('.', '[.]')} is empty \(no rows\)"):
        read_table(path)


def test_empty_parquet_table(tmp_path):
    path = tmp_path / "zero.parquet"
    pd.DataFrame({"text": pd.Series([], dtype=str)}).to_parquet(path)
    with fails("is empty"):
        read_table(path)


def test_malformed_csv(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,text\n1,fine\n2,not,fine,at all\n")
    with fails(r"could not parse .*bad\.csv as CSV: Error tokenizing data\. C error: "
               r"Expected 2 fields in line 3, saw 4"):
        read_table(path)


def test_csv_rows_wider_than_header(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("id,text\n1,hello, world\n2,good, bye\n")
    with fails("more fields than the header.*quote texts that contain commas"):
        read_table(path)


def test_invalid_json_reports_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[\n  {"text": "a"},\n  {"text": }\n]')
    with fails(r"could not parse .*bad\.json as JSON: Expecting value at line 3 column 12"):
        read_table(path)


def test_json_lines_in_a_json_file_gets_a_hint(tmp_path):
    path = tmp_path / "lines.json"
    path.write_text('{"text": "a"}\n{"text": "b"}\n')
    with fails("rename it to .jsonl"):
        read_table(path)


@pytest.mark.parametrize("content,match", [
    ('"just a string"', "found a JSON string"), ('[{"text": "a"}, 3]', "item 1 is a JSON number"),
    ('{"text": ["a", "b"], "id": [1]}', "different lengths")])
def test_json_wrong_shape(tmp_path, content, match):
    path = tmp_path / "shape.json"
    path.write_text(content)
    with fails(match):
        read_table(path)


def test_jsonl_bad_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "a"}\n\n{"text": "b",}\n')
    with fails(r"could not parse line 3 of .*bad\.jsonl as JSON"):
        read_table(path)
    path.write_text('{"text": "a"}\n["b"]\n')
    with fails(r"line 2 of .*bad\.jsonl is a JSON array, not an object"):
        read_table(path)


def test_read_bytes_with_name():
    got, info = read_table(b"text\nhello\n", name="upload.csv")
    assert got["text"].tolist() == ["hello"] and info["path"] == "upload.csv"
    with fails("without its name"):
        read_table(b"text\nhello\n")


# ------------------------------------------------------------------------------ load_inputs

def test_two_files_basic(tmp_path):
    r, s = pair(tmp_path)
    result = load_inputs(real=r, synthetic=s)
    assert isinstance(result, AuditInput)
    frame = result.frame
    assert list(frame.columns) == ["side", "row", "text"]
    assert frame["side"].tolist() == ["real"] * 8 + ["synthetic"] * 8
    assert frame["row"].dtype == np.int64 and frame["row"].tolist() == list(range(8)) * 2
    assert frame["text"].tolist() == REAL + SYNTH
    assert result.text_column == "text" and result.real_value is None
    assert [src["side"] for src in result.sources] == ["real", "synthetic"]
    assert result.sources[0]["path"] == str(r) and result.sources[0]["format"] == "csv"
    assert result.blank_rows == {"real": [], "synthetic": []}
    assert result.duplicate_texts == {"real": 0, "synthetic": 0, "across": 0}
    assert result.warnings == []


def test_inputs_are_not_modified(tmp_path):
    r, s = pair(tmp_path)
    before = sha(r), sha(s)
    load_inputs(real=r, synthetic=s)
    assert (sha(r), sha(s)) == before


def test_missing_text_column_lists_columns(tmp_path):
    r, s = pair(tmp_path)
    with fails(r"column 'txt' not found in .*real\.csv \(columns: id, text\); "
               r"pass --text-column"):
        load_inputs(real=r, synthetic=s, text_column="txt")
    with fails(r"did you mean 'text'"):
        load_inputs(real=r, synthetic=s, text_column="TEXT")


def test_text_column_must_be_in_both_files(tmp_path):
    r = write_csv(tmp_path / "r.csv", ["body"], [[t] for t in REAL])
    s = write_csv(tmp_path / "s.csv", ["text"], [[t] for t in SYNTH])
    with fails(r"column 'body' not found in .*s\.csv"):
        load_inputs(real=r, synthetic=s, text_column="body")


def test_auto_pick_by_name_case_insensitive(tmp_path):
    rows = [[i, t, "x"] for i, t in enumerate(REAL)]
    r = write_csv(tmp_path / "r.csv", ["id", "Sentence", "note"], rows)
    s = write_csv(tmp_path / "s.csv", ["id", "Sentence", "note"], rows)
    assert load_inputs(real=r, synthetic=s).text_column == "Sentence"


def test_auto_pick_by_length(tmp_path):
    rows = [[i, "pos", t] for i, t in enumerate(REAL)]
    r = write_csv(tmp_path / "r.csv", ["id", "label", "body"], rows)
    s = write_csv(tmp_path / "s.csv", ["id", "label", "body"], rows)
    assert load_inputs(real=r, synthetic=s).text_column == "body"


def test_auto_pick_ambiguous(tmp_path):
    rows = [[t, t + " again"] for t in REAL]
    r = write_csv(tmp_path / "r.csv", ["title", "body"], rows)
    s = write_csv(tmp_path / "s.csv", ["title", "body"], rows)
    with fails(r"cannot pick the text column in .*r\.csv and .*s\.csv "
               r"\(columns in both: title, body\); pass --text-column"):
        load_inputs(real=r, synthetic=s)
    short = write_csv(tmp_path / "short.csv", ["a", "b"], [["x", "y"]] * 6)
    with fails(r"cannot pick the text column in .*short\.csv \(columns: a, b, source\)"):
        load_inputs(data=pd.read_csv(short).assign(source=["real", "fake"] * 3),
                    names={"data": str(short)})


def one_file(tmp_path, values, texts=None, extra=None):
    texts = texts or (REAL[:6] + SYNTH[:6])
    header = ["text", "source"] + (list(extra) if extra else [])
    rows = [[t, v] + ([extra[k][i] for k in extra] if extra else [])
            for i, (t, v) in enumerate(zip(texts, values))]
    return write_csv(tmp_path / "mixed.csv", header, rows)


def test_one_file_auto_real_value(tmp_path):
    path = one_file(tmp_path, ["Human "] * 6 + ["generated"] * 6)
    result = load_inputs(data=path)
    assert result.real_value == "Human"
    assert result.frame["side"].tolist() == ["real"] * 6 + ["synthetic"] * 6
    assert result.frame["row"].tolist() == list(range(12))
    assert [s["side"] for s in result.sources] == ["mixed"]


def test_one_file_rows_interleaved(tmp_path):
    path = one_file(tmp_path, ["generated", "human"] * 6)
    frame = load_inputs(data=path, source_column="source").frame
    assert frame["row"].tolist() == [1, 3, 5, 7, 9, 11, 0, 2, 4, 6, 8, 10]
    assert frame["side"].tolist()[:6] == ["real"] * 6


def test_one_file_unknown_values_need_real_value(tmp_path):
    path = one_file(tmp_path, ["a"] * 6 + ["b"] * 6)
    with fails(r"cannot tell which value of 'source' is real \(values: a, b\).*"
               r"pass --real-value"):
        load_inputs(data=path)
    result = load_inputs(data=path, real_value="b")
    assert result.real_value == "b"
    assert result.frame["text"].tolist()[:6] == SYNTH[:6]
    with fails(r"--real-value 'c' is not a value of column 'source'.*\(values: a, b\)"):
        load_inputs(data=path, real_value="c")


def test_one_file_three_values(tmp_path):
    path = one_file(tmp_path, ["real"] * 4 + ["gpt"] * 4 + ["llama"] * 4)
    with fails(r"column 'source' of .*mixed\.csv must have exactly two values.*"
               r"found 3: real, gpt, llama"):
        load_inputs(data=path)


def test_one_file_missing_source_values(tmp_path):
    path = one_file(tmp_path, ["real"] * 5 + ["", " "] + ["synthetic"] * 5)
    with fails(r"column 'source' of .*mixed\.csv is empty in 2 rows \(rows 5, 6\)"):
        load_inputs(data=path)


def test_one_file_source_column_not_found(tmp_path):
    path = write_csv(tmp_path / "m.csv", ["text", "kind"], [[t, "x"] for t in REAL])
    with fails(r"cannot tell which column of .*m\.csv says whether a row is real.*"
               r"pass --source-column"):
        load_inputs(data=path)
    with fails(r"column 'src' not found in .*m\.csv \(columns: text, kind\); "
               r"pass --source-column"):
        load_inputs(data=path, source_column="src")


def test_is_synthetic_zero_one(tmp_path):
    df = pd.DataFrame({"text": REAL[:6] + SYNTH[:6], "is_synthetic": [0] * 6 + [1] * 6})
    result = load_inputs(data=df)
    assert result.real_value == "0"
    assert result.frame["text"].tolist() == REAL[:6] + SYNTH[:6]


def test_blank_texts_dropped_and_reported(tmp_path):
    synth = SYNTH[:4] + ["", "   "] + SYNTH[4:] + ["\t"]
    r, s = pair(tmp_path, synth=synth)
    result = load_inputs(real=r, synthetic=s)
    assert result.blank_rows == {"real": [], "synthetic": [4, 5, 10]}
    assert result.frame["text"].tolist() == REAL + SYNTH
    assert result.frame["row"].tolist()[8:] == [0, 1, 2, 3, 6, 7, 8, 9]
    assert any("dropped 3 blank texts from the synthetic side (rows 4, 5, 10)" in w
               for w in result.warnings)


def test_blank_texts_in_dataframe_inputs():
    real = pd.DataFrame({"text": REAL[:5] + [None, float("nan"), pd.NA]}, dtype=object)
    result = load_inputs(real=real, synthetic=pd.DataFrame({"text": SYNTH}))
    assert result.blank_rows["real"] == [5, 6, 7]


def test_texts_kept_exactly(tmp_path):
    texts = [f"  padded text number {i}  " for i in range(6)]
    df = pd.DataFrame({"text": texts})
    result = load_inputs(real=df, synthetic=pd.DataFrame({"text": SYNTH}))
    assert result.frame["text"].tolist()[:6] == texts


def test_duplicate_counts(tmp_path):
    real = REAL[:5] + [REAL[0], REAL[0], SYNTH[0]]
    synth = SYNTH[:6] + [SYNTH[1], REAL[1]]
    r, s = pair(tmp_path, real=real, synth=synth)
    result = load_inputs(real=r, synthetic=s)
    assert result.duplicate_texts == {"real": 2, "synthetic": 1, "across": 2}


def test_side_with_no_text_rows(tmp_path):
    r, s = pair(tmp_path, synth=["", " "] * 6)
    with fails(r"the synthetic side has no text rows after dropping 12 blank texts "
               r"\(.*synth\.csv, column 'text'\)"):
        load_inputs(real=r, synthetic=s)


def test_side_too_small(tmp_path):
    r, s = pair(tmp_path, real=REAL[:3])
    with fails(r"the real side has 3 rows; at least 5 are needed to cross-validate "
               r"\(.*real\.csv\)"):
        load_inputs(real=r, synthetic=s)
    assert len(load_inputs(real=r, synthetic=s, min_rows_per_side=3).frame) == 11


def test_label_and_generator_columns(tmp_path):
    r = write_csv(tmp_path / "r.csv", ["text", "label"],
                  [[t, "pos" if i % 2 else ""] for i, t in enumerate(REAL)])
    s = write_csv(tmp_path / "s.csv", ["text", "label", "model"],
                  [[t, "neg", "gpt-4o" if i else ""] for i, t in enumerate(SYNTH)])
    result = load_inputs(real=r, synthetic=s, label_column="label", generator_column="model")
    frame = result.frame
    assert list(frame.columns) == ["side", "row", "text", "label", "generator"]
    assert frame["label"].tolist() == [None, "pos"] * 4 + ["neg"] * 8
    assert frame["generator"].tolist() == [None] * 8 + [None] + ["gpt-4o"] * 7
    assert result.label_column == "label" and result.generator_column == "model"
    with fails(r"column 'model' not found in .*r\.csv.*pass --label-column"):
        load_inputs(real=r, synthetic=s, label_column="model")
    with fails(r"column 'gen' not found in .*s\.csv.*pass --generator-column"):
        load_inputs(real=r, synthetic=s, generator_column="gen")


def test_one_file_label_and_generator():
    df = pd.DataFrame({"text": REAL[:6] + SYNTH[:6], "origin": ["real"] * 6 + ["synthetic"] * 6,
                       "label": [1.0, 2.0] * 6, "gen": ["human"] * 6 + ["llama"] * 6})
    frame = load_inputs(data=df, label_column="label", generator_column="gen").frame
    assert frame["label"].tolist() == ["1", "2"] * 6
    assert frame["generator"].tolist() == [None] * 6 + ["llama"] * 6
    with fails("cannot be both the source and the text column"):
        load_inputs(data=df, text_column="origin")


def test_dataframe_inputs_and_names():
    real, synth = pd.DataFrame({"text": REAL}), pd.DataFrame({"text": SYNTH})
    result = load_inputs(real=real, synthetic=synth)
    assert [s["path"] for s in result.sources] == ["<real table>", "<synthetic table>"]
    assert result.sources[0]["format"] == "dataframe"
    assert real["text"].tolist() == REAL  # not modified
    with fails(r"column 'body' not found in <real table>"):
        load_inputs(real=real, synthetic=synth, text_column="body")
    with fails(r"column 'body' not found in gen\.parquet \(columns: text\)"):
        load_inputs(real=real.rename(columns={"text": "body"}), synthetic=synth,
                    text_column="body", names={"synthetic": "gen.parquet"})
    with fails(r"the real side has 2 rows.*\(my real\)"):
        load_inputs(real=real.head(2), synthetic=synth, names={"real": "my real"})


def test_bytes_inputs():
    real = ("text\n" + "\n".join(REAL) + "\n").encode("cp1252")
    synth = "\n".join(json.dumps({"text": t}) for t in SYNTH).encode()
    result = load_inputs(real=real, synthetic=synth,
                         names={"real": "real.csv", "synthetic": "synth.jsonl"})
    assert result.frame["text"].tolist() == REAL + SYNTH
    assert [s["format"] for s in result.sources] == ["csv", "jsonl"]


def test_encoding_warning(tmp_path):
    path = tmp_path / "rt_eval.csv"
    path.write_bytes(("text\n" + "\n".join(t + " \u2014 ok" for t in REAL) + "\n")
                     .encode("cp1252"))
    result = load_inputs(real=path, synthetic=pd.DataFrame({"text": SYNTH}))
    assert result.frame["text"][0].endswith("\u2014 ok")
    assert any("rt_eval.csv as cp1252 (not valid UTF-8)" in w for w in result.warnings)


def test_wrong_argument_combinations(tmp_path):
    r, s = pair(tmp_path)
    with fails("--synthetic not given; pass both --real and --synthetic"):
        load_inputs(real=r)
    with fails("--real and --synthetic not given"):
        load_inputs()
    with fails("not both"):
        load_inputs(real=r, synthetic=s, data=r)
    with fails("must be a file path, bytes or a pandas DataFrame, got int"):
        load_inputs(real=3, synthetic=s)
    with fails(r"file not found: .*missing\.csv"):
        load_inputs(real=tmp_path / "missing.csv", synthetic=s)


# ------------------------------------------------------------------------------ error kinds

def _kind_cases(tmp_path):
    """(name, load_inputs kwargs, expected kind, expected side) for errors users make."""
    r, s = pair(tmp_path)
    labelled = write_csv(tmp_path / "lab.csv", ["text", "sentiment"], [[t, "p"] for t in REAL])
    mixed = write_csv(tmp_path / "mixed.csv", ["text", "src", "gen"],
                      [[t, "a" if i < 6 else "b", "g"] for i, t in enumerate(REAL + SYNTH[:4])])
    three = write_csv(tmp_path / "three.csv", ["text", "source"],
                      [[t, "abc"[i % 3]] for i, t in enumerate(REAL)])
    blank = write_csv(tmp_path / "blank.csv", ["text", "body"], [["", t] for t in SYNTH])
    tiny = write_csv(tmp_path / "tiny.csv", ["text"], [[t] for t in SYNTH[:3]])
    binary = tmp_path / "blob.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)))
    return [
        ("missing real file", dict(real=tmp_path / "nope.csv", synthetic=s), "file", "real"),
        ("binary synthetic file", dict(real=r, synthetic=binary), "file", "synthetic"),
        ("text column absent", dict(real=r, synthetic=s, text_column="body"), "text_column",
         "real"),
        ("text column empty", dict(real=r, synthetic=blank, text_column="text"), "text_column",
         "synthetic"),
        ("label column absent", dict(real=labelled, synthetic=s, label_column="sentiment"),
         "label_column", "synthetic"),
        ("generator column absent", dict(real=r, synthetic=s, generator_column="gen"),
         "generator_column", "synthetic"),
        ("too few rows", dict(real=r, synthetic=tiny), "rows", "synthetic"),
        ("no source column", dict(data=mixed), "source_column", "data"),
        ("source column absent", dict(data=mixed, source_column="kind"), "source_column", "data"),
        ("three source values", dict(data=three), "source_column", "data"),
        ("which value is real", dict(data=mixed, source_column="src"), "real_value", "data"),
        ("unknown real value", dict(data=mixed, source_column="src", real_value="c"),
         "real_value", "data"),
        ("both modes", dict(real=r, synthetic=s, data=mixed), "options", None),
        ("half of two files", dict(real=r), "options", None),
    ]


def test_every_input_error_says_what_it_is_about_and_where(tmp_path):
    from synth_quality.errors import ErrorKind

    for name, kwargs, kind, side in _kind_cases(tmp_path):
        with pytest.raises(InputDataError) as info:
            load_inputs(**kwargs)
        assert info.value.kind in ErrorKind.ALL, name
        assert (info.value.kind, info.value.side) == (kind, side), f"{name}: {info.value}"


def test_error_kinds_survive_pickling(tmp_path):
    """Streamlit's caches and worker processes pickle errors: the kind must come back."""
    import pickle

    with pytest.raises(InputDataError) as info:
        load_inputs(**_kind_cases(tmp_path)[2][1])
    again = pickle.loads(pickle.dumps(info.value))
    assert (str(again), again.kind, again.side) == (str(info.value), "text_column", "real")


# ------------------------------------------------------------------------------ column rules

def _tables():
    """Tables of several shapes, each with what the rules should find (text, source, real)."""
    long_a = [f"a long enough review, number {i}" for i in range(6)]
    long_b = [f"another long text of the table, {i}" for i in range(6)]
    return [
        ("named text", pd.DataFrame({"id": list("123456"), "Review": long_a,
                                     "source": ["human"] * 3 + ["gpt"] * 3}),
         "Review", "source", "human"),
        ("unnamed long column", pd.DataFrame({"body": long_a, "origin": ["0", "1"] * 3,
                                              "note": ["x"] * 6}),
         "body", "origin", None),
        ("two long columns", pd.DataFrame({"title": long_a, "body": long_b,
                                           "is_synthetic": [0.0, 1.0] * 3}),
         None, "is_synthetic", "0"),
        ("text and Text", pd.DataFrame({"text": long_a, "Text": long_b, "side": ["real", "x"] * 3}),
         None, "side", "real"),
        ("no source", pd.DataFrame({"sentence": long_a, "kind": ["a", "b"] * 3}),
         "sentence", None, None),
    ]


@pytest.mark.parametrize("case", range(5))
def test_column_rules_find_what_the_audit_picks(case):
    """find_* (the Data page's proposals) and load_inputs (the audit) agree on every shape: the
    rule finds a column exactly when the audit would pick it, and the same one."""
    from synth_quality.io import (find_real_value, find_source_column, find_text_column,
                                  source_values)

    name, frame, text, source, real = _tables()[case]
    assert find_source_column(frame) == source
    if source is None:
        with pytest.raises(InputDataError) as info:
            load_inputs(data=frame)
        assert info.value.kind == "source_column"
        return
    assert find_text_column([(frame, name)], [source]) == text
    values = source_values(frame, source)
    assert find_real_value(values, source) == real
    try:
        got = load_inputs(data=frame, min_rows_per_side=1)
    except InputDataError as exc:
        assert text is None or real is None, exc
        assert exc.kind == ("text_column" if text is None else "real_value")
    else:
        assert (got.text_column, got.real_value) == (text, real)


def test_source_values_read_numbers_as_the_audit_does():
    from synth_quality.io import source_values

    frame = pd.DataFrame({"s": [1.0, 0.0, None, 1.0, " 0 "]})
    assert source_values(frame, "s") == ["1", "0"]


def test_optional_columns_are_proposed_by_name_only():
    from synth_quality.io import (GENERATOR_COLUMN_NAMES, LABEL_COLUMN_NAMES,
                                  find_named_column)

    frame = pd.DataFrame({"id": [1], "Sentiment": ["p"], "model": ["g"], "label": ["x"]})
    assert find_named_column(frame, LABEL_COLUMN_NAMES) == "label"   # names in their order
    assert find_named_column(frame, GENERATOR_COLUMN_NAMES) == "model"
    assert find_named_column(frame, LABEL_COLUMN_NAMES, exclude=["label"]) == "Sentiment"
    assert find_named_column(frame[["id"]], LABEL_COLUMN_NAMES) is None
