"""The live amendment page (`budsjettkontroll serve`): a party builds an endringsforslag in the browser.

The page holds the proposal as a form; every change posts the form, the server turns it into the same data a
proposal file holds, validates it with the same code (amendment.amendment_from_data) and runs the same engine
(amend.run_amend) against a base budget loaded once. Nothing is written to disk: the proposal leaves the
machine only as the YAML file the user downloads.
"""
