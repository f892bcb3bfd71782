"""Settings of the maternity detector (``[detection.maternity]``), each with the reason for its default."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MaternitySettings:
    pregnancy_days: int = 280
    """Employment that started fewer than this many days before the delivery began after
    conception: insured status bought for the birth.  The tenure indication is 0 at a full
    pregnancy and 1 at half of one."""
    salary_over_region: float = 2.5
    """A salary base this many times the regional median (or the employer's other staff's
    median) makes the salary indication 1 (0 at the median, on a log scale between)."""
    recent_registration_days: int = 365
    """The employer-age indication is 1 for an employer registered on the delivery day and
    falls to 0 at twice this many days: young firms are a sign, old ones are no proof of
    honesty (shells are also old companies bought up), so age is never a gate."""
    weight_tenure: float = 1.0
    """Weight of short tenure at delivery in the combined claim score."""
    weight_salary_region: float = 1.0
    """Weight of the salary base against the region's median."""
    weight_salary_staff: float = 0.5
    """Weight of the salary base against the employer's staff who never claimed (half: a
    shell often has no other staff, then the indication is unknown)."""
    weight_young: float = 0.5
    """Weight of the employer's youth at the delivery (half: shells may be bought up)."""
    weight_claimant_share: float = 1.0
    """Weight of the share of the employer's staff who claimed through it: a shell exists to
    file claims, a real firm's births are a few of its many employees."""
    weight_claims_rate: float = 0.5
    """Weight of the employer's claims against the region's claims per employee (binomial
    chance; 1 at 1 in 10,000)."""
    weight_coordination: float = 1.0
    """Weight of the identifiers (phone, address, agent) shared with other claim-filing
    employers, as the share of that identifier's employers that file claims: an accounting
    agent's dozens of honest firms or an incubator's tenants rarely all file claims."""
    min_score: float = 0.5
    """An employer is suspicious when its claims' combined score averages this (every
    indication half-way to clear): one unusual claim among ordinary ones averages below."""
    min_claims: int = 2
    """Claims a ring (one shell or several linked by phone/address/agent) needs: a single
    claim is one woman's story, not a scheme."""
    link_by_agent: bool = True
    """Suspicious employers registered by the same agent are linked (besides phone/address),
    and the agent counts in the coordination indication."""
    leiden_above: int = 10_000
    """Employers linked by shared phones, addresses or agents are one ring; only a linked
    group larger than this is split with Leiden (an agent filing for hundreds of shells is
    still one operation, so the bar is far above any ring seen)."""

    @property
    def indication_weights(self) -> tuple[float, ...]:
        """Weights in the order tenure, salary/region, salary/staff, young, claimant share,
        claims rate, coordination."""
        return (self.weight_tenure, self.weight_salary_region, self.weight_salary_staff, self.weight_young,
                self.weight_claimant_share, self.weight_claims_rate, self.weight_coordination)
