"""The Lindenau relevance set, run through the same indexing and search code the service uses."""

from pathlib import Path

from search.evaluate import evaluate

DEMO = Path(__file__).resolve().parents[3] / "demo-data"
NDCG_FLOOR = 0.85  # reached: 0.857 (python -m search.evaluate --catalog demo-data)


def test_lindenau_relevance_stays_above_its_floor():
    result = evaluate(str(DEMO))
    assert len(result.per_query) == 45
    assert result.ndcg >= NDCG_FLOOR, f"nDCG@10 fell to {result.ndcg:.4f}"
    assert result.zero_result_rate <= 0.03
