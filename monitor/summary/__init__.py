"""``Scored`` -> ``Summary``: the facts of a ban (who, which app, where, scope, when). Pure."""
