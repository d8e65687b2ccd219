"""Facts derived from text and files: lyrics sections, content flags, duration comparison, measuring."""

import io

from services.archiver.media import durations_disagree, flagged_words, lyrics_sections, measure_audio


def test_lyrics_are_split_into_their_sections() -> None:
    """Markers open sections; blank lines are dropped; text before the first marker is not lyrics."""
    prompt = "intro words\n[Verse 1]\nNeon rain\n\non an empty street\n[Chorus]\nSing it back\n[Outro]"
    assert lyrics_sections(prompt) == [
        {"section": "Verse 1", "lines": ["Neon rain", "on an empty street"]},
        {"section": "Chorus", "lines": ["Sing it back"]},
        {"section": "Outro", "lines": []},
    ]


def test_a_prompt_without_markers_has_no_lyrics() -> None:
    """A style description is not lyrics: no sections rather than one made-up section."""
    assert lyrics_sections("Soft lullaby, hummed") is None
    assert lyrics_sections(None) is None
    assert lyrics_sections("[not a marker] inline") is None


def test_flagged_words_match_whole_words_in_any_case() -> None:
    """Configured words are found case-insensitively as whole words across title, tags and prompt."""
    words = ("Neon", "rain", "absent", "c++")
    assert flagged_words(words, "Neon Rain", None, "Brainstorm c++ code") == ["c++", "neon", "rain"]
    assert flagged_words(words, "Terrain", "neonlights", None) == []
    assert flagged_words((), "anything") == []


def test_durations_disagree_beyond_the_tolerance_only() -> None:
    """Two seconds apart is tolerated; more is a mismatch; a missing value is never one."""
    assert not durations_disagree(163.88, 165.0)
    assert durations_disagree(163.88, 170.0)
    assert not durations_disagree(None, 170.0)
    assert not durations_disagree(163.88, None)


def test_an_unreadable_file_gives_empty_facts() -> None:
    """Bytes that are no audio format measure as unknown instead of failing the archive."""
    facts = measure_audio(io.BytesIO(b"<html>not audio</html>"))
    assert (facts.duration, facts.format) == (None, None)
