"""Nearest-neighbour search over word and image vectors (faiss/NumPy, no Lightning): ``vector_index``,
``approximate`` (HNSW/IVF tuned by measured recall), ``word_indexes``, ``image_collection``, ``searcher``, ``grid``,
``types``."""
