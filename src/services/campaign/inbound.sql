-- C3: the contact of a number that wrote to one of the organization's provider numbers; an
-- unknown number becomes a customer named `p_name` with that phone, and that contact. The
-- caller holds the number's lock for the provider (InboundStore.target: one number of one
-- provider at a time, so two first messages of a new customer arriving at once, or a message and
-- an agent's outgoing start (C16), make one customer and one interaction).
CREATE FUNCTION tandem_inbound_contact(p_organization_id uuid, p_number text, p_name text)
RETURNS SETOF contact LANGUAGE plpgsql AS $$
DECLARE
  v_contact contact;
  v_customer_id uuid;
BEGIN
  SELECT * INTO v_contact FROM contact
   WHERE organization_id = p_organization_id AND kind = 'PHONE' AND value = p_number;
  IF NOT FOUND THEN
    INSERT INTO customer (organization_id, name, phone)
    VALUES (p_organization_id, p_name, p_number)
    RETURNING id INTO v_customer_id;
    -- Another provider of the organization adding this number at this moment fails this
    -- transaction on the unique contact (its job is retried, and finds the contact).
    INSERT INTO contact (organization_id, customer_id, kind, value)
    VALUES (p_organization_id, v_customer_id, 'PHONE', p_number)
    RETURNING * INTO v_contact;
  END IF;
  RETURN NEXT v_contact;
END $$;
