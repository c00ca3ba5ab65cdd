"""智能分拨、精准派单: a dispatch model learned from the city's own cases, its evaluation and suggestions.

Modules: :mod:`~analytics.dispatch.features` (text and place features),
:mod:`~analytics.dispatch.model` (training, calibrated probabilities, the model file),
:mod:`~analytics.dispatch.history` (reading training cases), :mod:`~analytics.dispatch.evaluate`
(time-split evaluation against the majority baseline), :mod:`~analytics.dispatch.suggest`
(the desk: departments, category, deadline, similar past cases), :mod:`~analytics.dispatch.service`
(train, store and find the model beside a database) and :mod:`~analytics.dispatch.cli`.
No Streamlit, no network, no downloaded model.
"""
