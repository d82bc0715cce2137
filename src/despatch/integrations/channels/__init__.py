"""Channel adapters: each translates one platform's format into Despatch's OrderDraft."""
