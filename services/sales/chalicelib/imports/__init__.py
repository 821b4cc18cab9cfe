"""Opportunity imports: a CSV (Maven's sales_pipeline.csv by default), in chunks on the
jobs queue."""
