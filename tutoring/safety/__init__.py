"""Safety's pure cores (SPEC §7): masking contact details in messages, words of crisis, the coordinators' on-duty rota. No Flask, no database."""
