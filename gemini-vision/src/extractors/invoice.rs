//! [`Invoice`]: a supplier invoice or receipt, with its Canadian sales taxes. Amounts are
//! `f64`: compare them with [`amounts_agree`] (two cents), as the checks do.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::checks::{
    amounts_agree, is_currency_code, is_iso_date, normalize_gst_number, normalize_qst_number,
};
use super::{Extractor, Flag, Kind, Problem};

/// A supplier invoice or receipt. Amounts are plain numbers in the invoice's currency.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Invoice {
    /// The supplier's name as printed.
    pub vendor: Option<String>,
    /// The invoice or receipt number.
    pub number: Option<String>,
    /// The date of issue, YYYY-MM-DD.
    pub issue_date: Option<String>,
    /// The due date, YYYY-MM-DD, when printed.
    pub due_date: Option<String>,
    /// The ISO 4217 currency code (CAD, USD); CAD when only "$" is printed on a Canadian
    /// invoice.
    pub currency: Option<String>,
    /// The total before taxes.
    pub subtotal: Option<f64>,
    /// Each tax line (GST, QST, HST, PST).
    pub taxes: Vec<Tax>,
    /// The total to pay, taxes included.
    pub total: Option<f64>,
    /// The invoice's lines.
    pub line_items: Vec<LineItem>,
}

/// A tax line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct Tax {
    /// Which tax: GST (TPS), QST (TVQ), HST, PST, or OTHER.
    pub kind: TaxKind,
    /// The rate in percent (5 for GST, 9.975 for QST), when printed.
    pub rate_percent: Option<f64>,
    /// The amount of tax.
    pub amount: f64,
    /// The supplier's registration number for this tax (GST/HST: 123456789RT0001; QST:
    /// 1234567890TQ0001), when printed.
    pub registration_number: Option<String>,
}

/// Canadian sales taxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum TaxKind {
    /// Goods and Services Tax (TPS in French), federal.
    Gst,
    /// Québec Sales Tax (TVQ in French).
    Qst,
    /// Harmonized Sales Tax.
    Hst,
    /// A provincial sales tax other than QST.
    Pst,
    /// Anything else.
    #[serde(other)]
    Other,
}

/// A line of an invoice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[non_exhaustive]
pub struct LineItem {
    /// The description as printed.
    pub description: String,
    /// The supplier's product code or SKU, when printed.
    pub sku: Option<String>,
    /// The quantity.
    pub quantity: Option<f64>,
    /// The price of one unit before taxes.
    pub unit_price: Option<f64>,
    /// The line's amount before taxes.
    pub amount: Option<f64>,
}

impl Extractor for Invoice {
    const KIND: Kind = Kind::Invoice;
    const PROMPT: &'static str = "This is a supplier invoice or receipt, often Canadian and \
possibly in French (TPS = GST, TVQ = QST, sous-total = subtotal, facture = invoice). Read the \
vendor, the invoice number, the issue and due dates as YYYY-MM-DD, the currency code, the \
subtotal before taxes, each tax line with its kind, rate, amount and registration number, \
the total, and every line item with its description, SKU, quantity, unit price and amount. \
Amounts are plain numbers without currency symbols or thousands separators.";

    fn nothing_found(&self) -> Option<&'static str> {
        (self.total.is_none() && self.line_items.is_empty())
            .then_some("no total and no line on the invoice")
    }

    fn check(&mut self) -> Vec<Flag> {
        let mut flags = Vec::new();
        for (name, date) in [
            ("issue_date", &self.issue_date),
            ("due_date", &self.due_date),
        ] {
            if let Some(d) = date.as_deref().filter(|d| !is_iso_date(d)) {
                flags.push(Flag::new(
                    name,
                    Problem::InvalidDate,
                    format!("{d:?} is not a YYYY-MM-DD date"),
                ));
            }
        }
        if let (Some(issued), Some(due)) = (&self.issue_date, &self.due_date)
            && is_iso_date(issued)
            && is_iso_date(due)
            && due < issued
        {
            flags.push(Flag::new(
                "due_date",
                Problem::DateOrder,
                format!("due {due} before issue {issued}"),
            ));
        }
        if let Some(c) = &mut self.currency {
            let upper = c.trim().to_ascii_uppercase();
            if is_currency_code(&upper) {
                *c = upper;
            } else {
                flags.push(Flag::new(
                    "currency",
                    Problem::InvalidCurrency,
                    format!("{c:?} is not an ISO 4217 currency code"),
                ));
            }
        }
        for (i, line) in self.line_items.iter().enumerate() {
            if let (Some(q), Some(p), Some(a)) = (line.quantity, line.unit_price, line.amount)
                && !amounts_agree(q * p, a)
            {
                flags.push(Flag::new(
                    format!("line_items[{i}].amount"),
                    Problem::LineAmountMismatch,
                    format!("{q} × {p} = {:.2}, not {a}", q * p),
                ));
            }
        }
        let amounts: Option<Vec<f64>> = self.line_items.iter().map(|l| l.amount).collect();
        if let (Some(sub), Some(amounts)) = (self.subtotal, amounts)
            && !amounts.is_empty()
        {
            let sum: f64 = amounts.iter().sum();
            if !amounts_agree(sum, sub) {
                flags.push(Flag::new(
                    "subtotal",
                    Problem::SubtotalMismatch,
                    format!("the line amounts add up to {sum:.2}, not {sub}"),
                ));
            }
        }
        for (i, tax) in self.taxes.iter_mut().enumerate() {
            if let (Some(rate), Some(sub)) = (tax.rate_percent, self.subtotal)
                && !amounts_agree(sub * rate / 100.0, tax.amount)
            {
                flags.push(Flag::new(
                    format!("taxes[{i}].amount"),
                    Problem::TaxMismatch,
                    format!(
                        "{rate} % of the subtotal {sub} is {:.2}, not {} (unless some lines are exempt)",
                        sub * rate / 100.0,
                        tax.amount
                    ),
                ));
            }
            let check = match tax.kind {
                TaxKind::Gst | TaxKind::Hst => Some(normalize_gst_number as fn(&str) -> _),
                TaxKind::Qst => Some(normalize_qst_number as fn(&str) -> _),
                TaxKind::Pst | TaxKind::Other => None,
            };
            if let (Some(check), Some(reg)) = (check, &mut tax.registration_number) {
                match check(reg) {
                    Ok(n) => *reg = n,
                    Err(m) => flags.push(Flag::new(
                        format!("taxes[{i}].registration_number"),
                        Problem::InvalidTaxNumber,
                        m,
                    )),
                }
            }
        }
        if let (Some(sub), Some(total)) = (self.subtotal, self.total) {
            let taxes: f64 = self.taxes.iter().map(|t| t.amount).sum();
            if !amounts_agree(sub + taxes, total) {
                flags.push(Flag::new(
                    "total",
                    Problem::TotalMismatch,
                    format!(
                        "subtotal {sub} + taxes {taxes:.2} = {:.2}, not {total}",
                        sub + taxes
                    ),
                ));
            }
        }
        for (name, v) in [("subtotal", self.subtotal), ("total", self.total)] {
            if v.is_some_and(|v| v < 0.0) {
                flags.push(Flag::new(
                    name,
                    Problem::Negative,
                    format!("{name} is negative (a credit note?)"),
                ));
            }
        }
        flags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(q: f64, p: f64, a: f64) -> LineItem {
        LineItem {
            description: "Drop cable 100 m".into(),
            sku: None,
            quantity: Some(q),
            unit_price: Some(p),
            amount: Some(a),
        }
    }

    fn quebec() -> Invoice {
        Invoice {
            vendor: Some("Fournitures Télécom inc.".into()),
            number: Some("F-1042".into()),
            issue_date: Some("2026-11-30".into()),
            due_date: Some("2026-12-30".into()),
            currency: Some("cad".into()),
            subtotal: Some(200.0),
            taxes: vec![
                Tax {
                    kind: TaxKind::Gst,
                    rate_percent: Some(5.0),
                    amount: 10.0,
                    registration_number: Some("123456789 RT 0001".into()),
                },
                Tax {
                    kind: TaxKind::Qst,
                    rate_percent: Some(9.975),
                    amount: 19.95,
                    registration_number: Some("1234567890TQ0001".into()),
                },
            ],
            total: Some(229.95),
            line_items: vec![line(2.0, 75.0, 150.0), line(1.0, 50.0, 50.0)],
        }
    }

    #[test]
    fn a_consistent_invoice_has_no_flags_and_is_normalised() {
        let mut inv = quebec();
        assert_eq!(inv.check(), []);
        assert_eq!(inv.currency.as_deref(), Some("CAD"));
        assert_eq!(
            inv.taxes[0].registration_number.as_deref(),
            Some("123456789RT0001")
        );
    }

    #[test]
    fn totals_that_do_not_add_up_are_flagged() {
        let mut inv = quebec();
        inv.total = Some(239.95);
        inv.line_items[0].amount = Some(140.0);
        inv.taxes[1].amount = 9.975;
        inv.taxes[1].registration_number = Some("123456789RT0001".into());
        inv.issue_date = Some("30/11/2026".into());
        inv.currency = Some("$".into());
        let got: Vec<(String, Problem)> = inv
            .check()
            .into_iter()
            .map(|f| (f.field, f.problem))
            .collect();
        let want = [
            ("issue_date", Problem::InvalidDate),
            ("currency", Problem::InvalidCurrency),
            ("line_items[0].amount", Problem::LineAmountMismatch),
            ("subtotal", Problem::SubtotalMismatch),
            ("taxes[1].amount", Problem::TaxMismatch),
            ("taxes[1].registration_number", Problem::InvalidTaxNumber),
            ("total", Problem::TotalMismatch),
        ];
        assert_eq!(
            got,
            want.map(|(f, p)| (f.to_owned(), p)),
            "every failing check named once, in field order"
        );
        assert_eq!(inv.currency.as_deref(), Some("$"), "kept as read");
    }

    #[test]
    fn due_before_issue_and_negative_totals_are_flagged() {
        let mut inv = quebec();
        inv.due_date = Some("2026-11-01".into());
        let flags = inv.check();
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].problem, Problem::DateOrder);
        let mut credit = Invoice {
            total: Some(-5.0),
            ..Invoice::default()
        };
        assert_eq!(credit.check()[0].problem, Problem::Negative);
    }
}
