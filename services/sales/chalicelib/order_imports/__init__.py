"""Order CSV imports: POST /orders/imports, chunked over the sales jobs queue."""
