"""The report and the audit's files, composed from the analysis, the output layer and the plots."""
