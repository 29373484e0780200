"""Plain typed model objects: the journey, the population and the scenario. No Hydra here."""

from journeysim.model.journey import Dwell, Journey
from journeysim.model.population import OrderValue, Population, Segment
from journeysim.model.scenario import Scenario, Settings

__all__ = ["Dwell", "Journey", "OrderValue", "Population", "Scenario", "Segment", "Settings"]
