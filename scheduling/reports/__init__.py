"""The outcomes report (issue 15): what the clinic achieves, beside the published evidence.

Pure Python, no Django: ``evidence`` (the published figures with their sources), ``figures``
(the statistics, from scipy), ``cohort`` (one course's record and the figures of a cohort),
``disclosure`` (how a figure is shown: "—" for staff under 5, "fewer than 5" in public).
The database reads are ``scheduling.selectors.outcomes_report``.
"""
