// Package expr is the AWS Data Pipeline expression language: the
// expressions a string field value may hold between "#{" and "}", as in
// "s3://bucket/#{format(@scheduledStartTime,'YYYY-MM-dd')}/#{myPrefix}".
//
// It has no I/O and no clock. Validate checks a value when a definition is
// put; Eval evaluates it, asking an Env for every reference (a field, a
// parameter, a runtime field such as @scheduledStartTime): what a reference
// means, which object it reads and what time it is are the caller's.
//
// # Syntax
//
// The grammar gaffer accepts:
//
//	expr    = term { ("+" | "-") term }
//	term    = unary { ("*" | "/") unary }
//	unary   = "-" unary | power
//	power   = primary [ "^" unary ]              (right-associative)
//	primary = number [ unit ] | string | "(" expr ")"
//	        | name "(" [ expr { "," expr } ] ")"   (a function call)
//	        | name { "." name }                    (a reference)
//	name    = [ "@" | "*" ] letter { letter | digit | "_" }
//	unit    = year(s) | month(s) | week(s) | day(s) | hour(s) | minute(s)
//
// So ^ binds tighter than unary minus (-2 ^ 2 is -(2 ^ 2)) and 2 ^ 3 ^ 2 is
// 2 ^ (3 ^ 2), as in mathematics. Strings are quoted with ' or " and take
// backslash escapes. Validate checks the syntax and that each function
// called exists and is given the number of arguments it takes; which
// references resolve and the types of arguments are decided when the
// expression is evaluated (at run time on AWS).
//
// # Values
//
// Evaluation follows AWS's Developer Guide ("Simple Data Types",
// "Mathematical Functions", "String Functions", "Date and Time
// Functions"). Values are Strings, Integers, Doubles, DateTimes and Periods
// ("1 day"). What a reference resolves to is text, typed by its use: text
// is a DateTime where a function takes one and the text is
// "YYYY-MM-DDTHH:MM:SS" (the field layout, UTC), an Integer where one is
// taken and the text is a whole number, and so on. Where AWS leaves the
// behaviour unsaid, gaffer does this:
//
//   - Numbers: a literal without a decimal point is an Integer (64 bits),
//     with one a Double. Integer + - * stay Integers (#{1 + 2} is 3), and
//     Integer / Integer truncates toward zero as Java does (#{1 / 2} is 0,
//     #{-7 / 2} is -3); with a Double operand the result is a Double
//     (#{1.0 / 2} is 0.5). ^ is Java's Math.pow: always a Double (#{2 ^ 2}
//     is 4.0), binding tighter than unary minus (#{-2 ^ 2} is -4.0) and
//     right-associative. Doubles render as Java's Double.toString does
//     (4.0, 0.5, 1.0E7). Dividing by zero is an error rather than Java's
//     exception or Infinity.
//   - +: AWS's String Functions page defines + as concatenation, non-string
//     values first converted to strings. So + adds when both operands are
//     numbers (literals, numeric results, or text that is a number:
//     #{myCount + 1}), and concatenates when either operand is a String or
//     text that is not a number (#{'s3://b/' + year(x)};
//     #{format(x,'YYYY') + 1} is "20111", format giving a String). A
//     DateTime plus or minus a Period (#{@scheduledStartTime - 1 day}) is
//     shifted as by the plus and minus functions. Anything else (a DateTime
//     plus a number) is an error.
//   - DateTimes: a DateTime in UTC renders as field values do,
//     "2011-05-24T17:10:00". One in another zone (from inTimeZone) renders
//     as Joda's DateTime.toString does, with milliseconds and the offset,
//     "2011-05-24T10:10:00.000-07:00", which is also taken where a DateTime
//     is. plusMonths and plusYears keep the day of the month when it exists
//     and otherwise take the month's last day (as Joda: 2011-01-31 plus one
//     month is 2011-02-28); plusDays and plusWeeks keep the local time of
//     day across daylight-saving changes; plusHours and plusMinutes add
//     elapsed time. Years stay within 0 to 9999.
//   - inTimeZone takes a tz database id ('America/Los_Angeles'), 'UTC' or a
//     fixed offset ('-07:00'). The tz database is built in (time/tzdata),
//     so results do not depend on the host.
//   - The functions are those of AWS's Date and Time Functions page,
//     yesterday included.
//
// format takes Joda-Time DateTimeFormat patterns: the letters G C Y y x w e
// E D M d a K h H k m s S z Z, and quoted text ('T'; a doubled quote for a
// quote).
//
// An expression that cannot be evaluated is an error naming what to fix
// ("minusDays expects (DateTime, Integer), got (String "abc", Integer 1)");
// Eval leaves such an expression as written and returns the first error as
// an *Error.
//
// # Limits
//
// A value can refer to a field that refers to fields, each many times: 40
// references 7 deep are 40^7 of them. One evaluation, the value and the
// values its references read (evaluated by the Env in turn, with
// EvalWithin), spends from one Budget: at most MaxSteps references
// resolved and functions called, MaxBytes produced, and MaxLen characters
// (AWS's limit on a field value) in any value evaluated. Over a limit,
// evaluation stops at once with a *BudgetError. Steps counts the steps of
// a value without evaluating it, so that a definition can be checked when
// it is put.
//
// # Not supported
//
//   - Functions other than the date and time ones: AWS documents no concat
//     or other string function (its String Functions page has + only).
//   - The current time: no function gives it; a time comes from a
//     reference, such as @scheduledStartTime or @actualStartTime.
//   - Lists: a reference resolves to one text. (The pipeline dialect refuses
//     a reference to a field or parameter with several values.)
//   - Comparisons, conditionals and boolean values.
//   - zzzz (the long zone name) prints "Coordinated Universal Time" in UTC
//     and the zone id elsewhere: Go knows no other long names. Joda pattern
//     letters beyond those above are an error.
//
// The scenario files in testdata/ hold AWS's documented examples with the
// values gaffer gives.
package expr
