"""Demo model cards for `seed_demo`: a complete card for the champion version of each of the demo bank's models,
written by the model owner through the service (so the audit trail shows who wrote each).

Idempotent: a version that already has a card keeps it.
"""

from datetime import timedelta

from governance.models import ModelCard, ModelVersion, Organisation, VersionStatus
from governance.services.model_cards import model_card_save

CARDS: dict[str, dict[str, str]] = {
    "Retail credit scorecard": {
        "intended_use": (
            "Scores applications for unsecured personal loans of EUR 1,000 to 50,000 made through branches, the "
            "website and the mobile app. The score sets the decision band (approve, refer to an underwriter, "
            "decline) within the retail credit policy; referred cases and all declines near the cut-off are "
            "reviewed by an underwriter. Users: retail credit underwriting and the credit risk function."
        ),
        "out_of_scope_uses": (
            "Not for credit cards, overdrafts, mortgages or small-business lending, which have their own models. "
            "Not for pricing, limit setting or collections. Not for applicants without a 6-month credit bureau "
            "history (thin-file applicants are routed to manual underwriting)."
        ),
        "factors": (
            "Performance is reported by age band (18-25, 26-40, 41-60, 61+), sex, employment type (employed, "
            "self-employed, retired), application channel and loan amount band. Protected characteristics are "
            "not model inputs; age and sex are used only to measure outcomes."
        ),
        "metrics": (
            "Gini coefficient and Kolmogorov-Smirnov statistic for rank ordering (the bank's scorecard standard), "
            "Hosmer-Lemeshow test and expected versus observed bad rates per score band for calibration, "
            "population stability index (PSI) for drift, and approval-rate ratios between groups for fairness."
        ),
        "evaluation_data": (
            "Out-of-time sample: 48,210 applications from January to June 2024 with 12-month performance, bad "
            "defined as 90+ days past due within 12 months (bad rate 3.1%). Reject inference by parcelling."
        ),
        "training_data": (
            "212,400 booked applications from January 2019 to December 2023 (bad rate 2.8%), bureau attributes "
            "from the credit bureau at application time and internal current-account behaviour. COVID-19 "
            "payment-holiday months (April-September 2020) are excluded from the performance window."
        ),
        "quantitative_analyses": (
            "Out-of-time Gini 0.63 (development 0.65) and KS 0.46. Calibration holds in every score band within "
            "±0.4 percentage points, except the thin-file segment where observed bad rates exceed expected by "
            "0.9 points (validation finding, monitored monthly). Approval-rate ratio 18-25 versus 26-40: 0.86, "
            "explained by income and bureau history; within each income band the ratio is above 0.95."
        ),
        "ethical_considerations": (
            "The score makes decisions about people (EU AI Act Annex III high-risk, creditworthiness). Declined "
            "applicants receive the main reasons from the adverse-action reason codes and may ask for human "
            "review. Postcode is excluded to avoid geographic proxies for ethnicity. Fairness metrics are "
            "reviewed quarterly by the model risk committee."
        ),
        "caveats_and_recommendations": (
            "Recalibrate if the portfolio bad rate moves more than 1 point from 2.8% or PSI exceeds 0.25. The "
            "model assumes stable bureau data definitions; re-validate after any bureau format change. Do not "
            "lower the decline cut-off without a champion/challenger test."
        ),
    },
    "Mortgage affordability model": {
        "intended_use": (
            "Estimates the sustainable monthly repayment of mortgage applicants from income, committed "
            "expenditure and household composition, to support the mortgage adviser's affordability assessment "
            "under the bank's responsible-lending policy. An adviser always makes the decision."
        ),
        "out_of_scope_uses": (
            "Not a credit decision on its own; not for buy-to-let, bridging or commercial property lending; not "
            "for stress-testing the mortgage book."
        ),
        "factors": (
            "Household size, number of incomes, employment type, region (cost-of-living index) and loan-to-value "
            "band."
        ),
        "metrics": (
            "Mean absolute error (MAE) in EUR against verified expenditure from bank statements, share of "
            "estimates within EUR 150, and under-estimation rate (estimates above verified capacity, the costly "
            "error)."
        ),
        "evaluation_data": "9,870 completed mortgage applications from 2024 with verified bank-statement expenditure.",
        "training_data": (
            "61,300 applications from 2019 to 2023 with verified expenditure; national household budget survey "
            "used as a prior for households with fewer than three months of statements."
        ),
        "quantitative_analyses": (
            "MAE EUR 104 (previous version EUR 112); 81% of estimates within EUR 150. Under-estimation rate 7.2% "
            "overall, 9.8% for self-employed applicants, who are therefore always referred for full review."
        ),
        "ethical_considerations": (
            "Supports decisions about people's access to housing finance. Over-estimating capacity risks "
            "over-indebtedness; advisers see the estimate's uncertainty band, and applicants can contest "
            "expenditure assumptions with evidence."
        ),
        "caveats_and_recommendations": (
            "Inflation shocks make historic expenditure stale: refresh the cost-of-living index quarterly and "
            "re-estimate after CPI moves more than 2 points. Treat estimates for households of six or more "
            "with caution (few training cases)."
        ),
    },
    "Card transaction fraud detector": {
        "intended_use": (
            "Scores every card authorisation in real time (p99 latency 35 ms). Scores above the block threshold "
            "decline the payment; scores in the review band trigger 3-D Secure step-up authentication or a "
            "fraud-operations alert. Users: the card fraud operations team."
        ),
        "out_of_scope_uses": (
            "Not for account-takeover detection in online banking, not for merchant risk scoring, and not for "
            "anti-money-laundering alerts."
        ),
        "factors": (
            "Card-present versus card-not-present, merchant category, domestic versus cross-border, customer "
            "tenure, and time of day."
        ),
        "metrics": (
            "ROC AUC for ranking; precision at a 1% alert rate (the capacity of fraud operations); fraud value "
            "detection rate; false-positive rate among genuine customers, which drives complaints."
        ),
        "evaluation_data": (
            "All authorisations of October 2024 (58.2 million, 21,400 confirmed fraud after the 60-day "
            "chargeback window)."
        ),
        "training_data": (
            "14 months of authorisations (January 2023 to February 2024), genuine transactions down-sampled "
            "1:50, fraud labels from confirmed chargebacks and customer reports; consortium device signals from "
            "the card scheme."
        ),
        "quantitative_analyses": (
            "AUC 0.962 and precision 0.41 at a 1% alert rate; 78% of fraud value detected. Card-not-present "
            "detection 81%, card-present 64%. Genuine customers stepped up: 0.6% of transactions, 1.1% "
            "cross-border."
        ),
        "ethical_considerations": (
            "False positives inconvenience genuine customers and can leave travellers without payment means; "
            "customers can confirm a payment in the app to release it. No protected characteristics are used; "
            "nationality is not an input (the country of the merchant is)."
        ),
        "caveats_and_recommendations": (
            "Fraud patterns shift within weeks: retrain monthly and watch precision daily. Thresholds are tuned "
            "to the fraud operations capacity; re-tune before changing staffing. Rule overlays for new attack "
            "patterns must be documented in the fraud rule register."
        ),
    },
    "AML transaction monitoring": {
        "intended_use": (
            "Prioritises alerts generated by the transaction-monitoring scenarios so that financial-crime "
            "investigators review the most suspicious first. Every alert is still reviewed; the model orders "
            "the queue, it never closes an alert."
        ),
        "out_of_scope_uses": "Not for sanctions screening, customer risk rating at onboarding, or fraud detection.",
        "factors": "Customer segment (retail, SME, corporate), product, cash intensity and cross-border exposure.",
        "metrics": (
            "Alert precision (share of alerts that lead to a suspicious activity report) in the top decile of the "
            "queue, and the share of reported cases found in the first half of the queue."
        ),
        "evaluation_data": "All 41,800 alerts of the second half of 2024, with investigator outcomes.",
        "training_data": (
            "Alerts and investigator outcomes from 2021 to mid-2024 (176,000 alerts, 2.4% reported), with "
            "transaction aggregates over 90 days."
        ),
        "quantitative_analyses": (
            "Alert precision 0.18 overall and 0.42 in the top decile; 88% of reported cases fall in the first "
            "half of the queue."
        ),
        "ethical_considerations": (
            "Investigations affect customers' access to banking. Nationality and country of birth are not "
            "inputs; outcomes by customer segment are reviewed by the MLRO twice a year."
        ),
        "caveats_and_recommendations": (
            "Labels reflect past investigator decisions and can carry their blind spots; sample low-priority "
            "alerts for quality assurance each month."
        ),
    },
    "Customer churn propensity": {
        "intended_use": (
            "Ranks current-account customers by their likelihood of closing the account or moving their salary "
            "within 90 days, to select customers for retention offers by the marketing team."
        ),
        "out_of_scope_uses": "Not for credit decisions, pricing individual products, or staff performance targets.",
        "factors": "Age band, tenure, product holding, digital engagement and region.",
        "metrics": "ROC AUC and uplift of retention campaigns in the top two deciles against a random control group.",
        "evaluation_data": "1.2 million customers observed from July to September 2024.",
        "training_data": "Monthly snapshots of 1.1 million active customers, January 2022 to June 2024.",
        "quantitative_analyses": (
            "AUC 0.77 (previous version 0.74); customers in the top decile churn at 4.1 times the base rate. "
            "Campaign uplift 1.8 points in the top two deciles."
        ),
        "ethical_considerations": (
            "Retention offers are marketing; customers who opted out of marketing are excluded before scoring. "
            "Offers must not steer vulnerable customers to unsuitable products."
        ),
        "caveats_and_recommendations": "Re-train after major pricing changes; scores decay after about two months.",
    },
    "Treasury liquidity forecaster": {
        "intended_use": (
            "Forecasts 30-day net cash outflows by product for the treasury's liquidity coverage ratio "
            "management and the daily funding plan."
        ),
        "out_of_scope_uses": "Not for regulatory LCR reporting itself (which uses prescribed run-off rates).",
        "factors": "Product (retail deposits, corporate deposits, committed facilities), currency and month-end effects.",
        "metrics": "Mean absolute percentage error (MAPE) of the 30-day outflow, and the largest under-forecast.",
        "evaluation_data": "Daily forecasts from January to December 2024 against realised flows.",
        "training_data": "Daily balances and flows from 2016 to 2023, including the March 2020 and March 2023 stress episodes.",
        "quantitative_analyses": "MAPE 6.1%; largest under-forecast 14% (corporate deposits, quarter-end).",
        "ethical_considerations": "No personal data beyond aggregated balances; no decisions about individuals.",
        "caveats_and_recommendations": (
            "Does not anticipate idiosyncratic stress; the treasury applies a management overlay on quarter-end "
            "dates and during market stress."
        ),
    },
    "KYC document OCR": {
        "intended_use": (
            "Extracts name, date of birth, document number and expiry from identity documents uploaded during "
            "onboarding, to pre-fill the onboarding form that the customer and an operations agent confirm."
        ),
        "out_of_scope_uses": "Not for verifying that a document is genuine, nor for face matching.",
        "factors": "Document type and issuing country, image quality (resolution, glare) and capture device.",
        "metrics": "Field-level accuracy against agent-confirmed values, and the share of documents needing correction.",
        "evaluation_data": "2,000 onboarding documents sampled from Q3 2024, double-keyed by operations agents.",
        "training_data": "Vendor model (DocuRead BV); the vendor's training data is described in its due-diligence pack.",
        "quantitative_analyses": "Field accuracy 97%; 11% of documents need at least one correction, mostly for glare.",
        "ethical_considerations": (
            "Processes identity documents (personal data); images are deleted by the vendor after 24 hours under "
            "the data processing agreement. Lower accuracy on some non-EU documents could slow onboarding for "
            "those customers; agents confirm every field."
        ),
        "caveats_and_recommendations": "Re-test after each vendor release; keep human confirmation of every field.",
    },
    "Legacy behavioural score (v1)": {
        "intended_use": (
            "Historic record: set credit-card limits from account behaviour until replaced by the retail "
            "scorecard; kept for audit of decisions taken while it was in use."
        ),
        "out_of_scope_uses": "Retired: not to be used for any new decision.",
        "factors": "Age band, tenure and limit band.",
        "metrics": "Gini coefficient and population stability index.",
        "evaluation_data": "Out-of-time sample of 2019 accounts with 12-month performance.",
        "training_data": "Card accounts from 2014 to 2018.",
        "quantitative_analyses": "Gini 0.52 at its last validation, below the 0.55 floor: the reason it was retired.",
        "ethical_considerations": "Made decisions about people; decisions taken with it remain contestable.",
        "caveats_and_recommendations": "Retired; see the retail credit scorecard.",
    },
}


def _generic_card(version: ModelVersion) -> dict[str, str]:
    """A complete card for a champion the table above does not describe (a model added to the demo later)."""
    model = version.model
    return {
        "intended_use": model.purpose,
        "out_of_scope_uses": "Any use outside the purpose above needs a new validation.",
        "factors": "Business unit, customer segment and channel.",
        "metrics": "The metrics registered with the version, chosen by the model owner with model validation.",
        "evaluation_data": "Out-of-time hold-out sample of the most recent complete quarter.",
        "training_data": model.data_sources
        or f"As referenced by the version: {version.training_data_ref or '—'}.",
        "quantitative_analyses": "See the metrics registered with this version.",
        "ethical_considerations": "Reviewed by the model owner and the risk function at each release.",
        "caveats_and_recommendations": "Monitor the model's KPIs; re-validate at the next periodic review.",
    }


def seed_model_cards_demo(organisation: Organisation, users: dict) -> None:
    """Write the model card of every champion version of ``organisation``; ``users`` maps role values to users."""
    owner = users["model_owner"]
    champions = (
        ModelVersion.objects.filter(model__organisation=organisation, status=VersionStatus.CHAMPION)
        .exclude(pk__in=ModelCard.objects.values("version_id"))
        .select_related("model")
        .order_by("model__name")
    )
    for version in champions:
        fields = CARDS.get(version.model.name) or _generic_card(version)
        model_card_save(actor=owner, version=version, fields=fields)
        # Written while the version was validated, before its promotion (the demo's history).
        ModelCard.objects.filter(version=version).update(updated_at=version.registered_at + timedelta(days=2))
