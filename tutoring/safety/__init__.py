"""Safety's pure cores (SPEC §7): words of crisis in a note, the coordinators' on-duty rota. No Flask, no database."""
