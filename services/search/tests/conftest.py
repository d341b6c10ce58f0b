import os

import pytest

from search.adapters.tantivy_backend import TantivyBackend

ELASTICSEARCH_URL = os.environ.get("ELASTICSEARCH_URL")


@pytest.fixture(params=["tantivy", "elasticsearch"])
def backend(request, tmp_path):
    """Each backend the conformance suite runs against (Elasticsearch only where ELASTICSEARCH_URL is set)."""
    if request.param == "tantivy":
        engine = TantivyBackend(str(tmp_path / "index"))
    else:
        if not ELASTICSEARCH_URL:
            pytest.skip("ELASTICSEARCH_URL is not set: the live Elasticsearch conformance run needs a server")
        import uuid

        from search.adapters.elasticsearch_backend import ElasticsearchBackend

        engine = ElasticsearchBackend.connect(ELASTICSEARCH_URL, f"mp-test-{uuid.uuid4().hex[:10]}")
    yield engine
    engine.close()
    if request.param == "elasticsearch":
        engine.delete_everything()
