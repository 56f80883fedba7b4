-- Northwind (../shared/data/northwind/northwind.sql loaded into PostgreSQL) to the three CSV exports
-- engagement.yaml reads. Run from this folder:
--   psql -d northwind -f export.sql
-- (the \copy lines write data/*.csv; the data folder is git-ignored: client data never enters git).
\copy (SELECT o.order_id, o.customer_id, o.order_date, c.category_name AS product_line, round((d.unit_price * d.quantity * (1 - d.discount))::numeric, 2) AS amount FROM orders o JOIN order_details d USING (order_id) JOIN products p USING (product_id) JOIN categories c USING (category_id) ORDER BY o.order_id) TO 'data/order_lines.csv' WITH (FORMAT csv, HEADER)
-- Each customer's manager: the employee who took most of its orders (the CRM's owner field).
\copy (SELECT cu.customer_id, cu.company_name, cu.country AS region, cu.city, (SELECT o.employee_id FROM orders o WHERE o.customer_id = cu.customer_id GROUP BY o.employee_id ORDER BY count(*) DESC, o.employee_id LIMIT 1) AS manager_id FROM customers cu ORDER BY cu.customer_id) TO 'data/customers.csv' WITH (FORMAT csv, HEADER)
-- The sales team: titles mapped to the method's roles; reports_to kept for the span of control.
\copy (SELECT employee_id, first_name || ' ' || last_name AS name, CASE title WHEN 'Vice President, Sales' THEN 'head_of_sales' WHEN 'Sales Manager' THEN 'head_of_sales' WHEN 'Inside Sales Coordinator' THEN 'closer' ELSE 'farmer' END AS role, reports_to FROM employees ORDER BY employee_id) TO 'data/employees.csv' WITH (FORMAT csv, HEADER)
