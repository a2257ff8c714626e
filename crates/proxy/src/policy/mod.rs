//! Routing and admission policy (DESIGN.md §5) — being written.
