"""Group sessions in the browser: the volunteer's page of one group session (its learners) and cancelling it whole."""
