"""Schema of the embedded store, as numbered migrations (``PRAGMA user_version``)."""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

#: Each entry migrates from version ``n`` to ``n + 1``; never edit a released one, append.
MIGRATIONS: list[str] = [
    # 0 -> 1: the knowledge model, articles and evidence with FTS5, the embedding cache, checkpoints
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE genes (symbol TEXT PRIMARY KEY, hgnc_id TEXT NOT NULL, data TEXT NOT NULL);
    CREATE TABLE tumors (code TEXT PRIMARY KEY, parent TEXT, data TEXT NOT NULL);
    CREATE TABLE drugs (inn TEXT PRIMARY KEY, data TEXT NOT NULL);
    CREATE TABLE evidence (
        id TEXT PRIMARY KEY,
        gene TEXT NOT NULL,
        alteration TEXT NOT NULL,
        alteration_kind TEXT NOT NULL,
        tumor_code TEXT,
        evidence_type TEXT NOT NULL,
        level TEXT NOT NULL,
        rating INTEGER,
        status TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX evidence_gene ON evidence (gene);
    CREATE INDEX evidence_tumor ON evidence (tumor_code);
    CREATE TABLE evidence_drugs (evidence_id TEXT NOT NULL, inn TEXT NOT NULL, PRIMARY KEY (evidence_id, inn));
    CREATE INDEX evidence_drugs_inn ON evidence_drugs (inn);
    CREATE TABLE evidence_citations (
        evidence_id TEXT NOT NULL, pmid TEXT NOT NULL, PRIMARY KEY (evidence_id, pmid)
    );
    CREATE INDEX evidence_citations_pmid ON evidence_citations (pmid);
    CREATE TABLE articles (
        rowid INTEGER PRIMARY KEY,          -- the PMID as an integer: FTS5 rowid
        pmid TEXT NOT NULL UNIQUE,
        version INTEGER NOT NULL,
        status TEXT NOT NULL,
        year INTEGER,
        text_hash TEXT NOT NULL,
        data TEXT NOT NULL
    );
    CREATE INDEX articles_year ON articles (year);
    CREATE INDEX articles_hash ON articles (text_hash);
    CREATE TABLE article_concepts (pmid TEXT NOT NULL, concept TEXT NOT NULL, PRIMARY KEY (concept, pmid));
    CREATE INDEX article_concepts_pmid ON article_concepts (pmid);
    -- FTS5 over terms analyzed by kb.analysis (so every backend indexes the same terms)
    CREATE VIRTUAL TABLE articles_fts USING fts5 (title, abstract, tokenize = 'unicode61');
    CREATE VIRTUAL TABLE evidence_fts USING fts5 (id UNINDEXED, statement, fields, tokenize = 'unicode61');
    CREATE TABLE embedding_cache (
        model TEXT NOT NULL, text_hash TEXT NOT NULL, dim INTEGER NOT NULL, vector BLOB NOT NULL,
        PRIMARY KEY (model, text_hash)
    ) WITHOUT ROWID;
    CREATE TABLE tests (id TEXT PRIMARY KEY, published INTEGER NOT NULL, data TEXT NOT NULL);
    CREATE TABLE test_genes (test_id TEXT NOT NULL, symbol TEXT NOT NULL, PRIMARY KEY (test_id, symbol));
    CREATE INDEX test_genes_symbol ON test_genes (symbol);
    CREATE TABLE checkpoints (job TEXT PRIMARY KEY, value TEXT NOT NULL, updated TEXT NOT NULL);
    """,
    # 1 -> 2: biomarkers (MSI-H, TMB-H, PD-L1 ...), a curated kind
    """
    CREATE TABLE biomarkers (id TEXT PRIMARY KEY, data TEXT NOT NULL);
    """,
    # 2 -> 3: the change log the vector indexes follow (kb.store.sqlite_vectors): which rows changed and which
    # vectors arrived, in order, so an index adds and removes only those (AUTOINCREMENT: a seq is never reused)
    """
    CREATE TABLE vector_changes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,     -- 'articles' or 'evidence' (row is its rowid) or 'vector' (model, text_hash)
        row INTEGER,
        model TEXT,
        text_hash TEXT
    );
    CREATE INDEX evidence_hash ON evidence (text_hash);
    CREATE TRIGGER articles_vector_insert AFTER INSERT ON articles
        BEGIN INSERT INTO vector_changes (kind, row) VALUES ('articles', new.rowid); END;
    CREATE TRIGGER articles_vector_update AFTER UPDATE OF status, year, text_hash ON articles
        BEGIN INSERT INTO vector_changes (kind, row) VALUES ('articles', new.rowid); END;
    CREATE TRIGGER articles_vector_delete AFTER DELETE ON articles
        BEGIN INSERT INTO vector_changes (kind, row) VALUES ('articles', old.rowid); END;
    CREATE TRIGGER evidence_vector_insert AFTER INSERT ON evidence
        BEGIN INSERT INTO vector_changes (kind, row) VALUES ('evidence', new.rowid); END;
    CREATE TRIGGER evidence_vector_update AFTER UPDATE OF evidence_type, level, tumor_code, text_hash ON evidence
        BEGIN INSERT INTO vector_changes (kind, row) VALUES ('evidence', new.rowid); END;
    CREATE TRIGGER evidence_vector_delete AFTER DELETE ON evidence
        BEGIN INSERT INTO vector_changes (kind, row) VALUES ('evidence', old.rowid); END;
    CREATE TRIGGER embedding_vector_insert AFTER INSERT ON embedding_cache
        BEGIN INSERT INTO vector_changes (kind, model, text_hash) VALUES ('vector', new.model, new.text_hash); END;
    """,
    # 3 -> 4: when the library first held each article (kb.domain.Article.first_ingested, kept in the record and in
    # a column for "new since" reads). Rows stored before this migration were first held at some unknown time before
    # it: they get the time of the migration, in the column and in the record, so every held article has one.
    """
    ALTER TABLE articles ADD COLUMN first_ingested TEXT;
    UPDATE articles SET first_ingested = strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now');
    UPDATE articles SET data = json_set(data, '$.first_ingested', first_ingested);
    CREATE INDEX articles_first_ingested ON articles (first_ingested);
    """,
    # 4 -> 5: kinds kept whole and read whole (kb.store.base.Backend.upsert_records): regulatory status, guideline
    # recommendations and reading lists, one table keyed by the kind's collection and the record's id
    """
    CREATE TABLE records (
        collection TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (collection, id)
    ) WITHOUT ROWID;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
